"""Rooms: one conversation per satellite, all sharing one store.

A sentence from Home Assistant names where it came from in its context: the satellite,
else the device, else the conversation. Each room keeps its own dialogue (its open
question, "delete that", undo, the care after a crisis answer); rooms nobody has spoken
in for a while are forgotten, and only so many are kept at once.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import time as clock_time
from typing import Any

from voice_glimmers.dialogue.conversation import Dialogue, Reply
from voice_glimmers.dialogue.reflection import is_evening
from voice_glimmers.understand.matcher import Match
from voice_glimmers.understand.screen import Screen
from voice_glimmers.understand.utterance import strip_lead_in

ROOM_KEYS = ("satellite_id", "device_id", "conversation_id")
"""Where a sentence came from, most specific first (the keys Home Assistant sends)."""
MAX_ROOM_NAME = 200  # characters of an id kept; Home Assistant's are far shorter
ROOMS_KEPT = 64
ROOM_IDLE_SECONDS = 1800.0  # longer than the care window after a crisis answer
UNNAMED = "unnamed"  # a client that names no room (a test tool): one room for all of them


def room_of(context: Any) -> str:
    """The room a Transcript's context names: satellite, else device, else conversation."""
    if isinstance(context, Mapping):
        for key in ROOM_KEYS:
            value = context.get(key)
            if isinstance(value, (str, int)) and str(value).strip():
                return f"{key.split('_')[0]}:{str(value).strip()[:MAX_ROOM_NAME]}"
    return UNNAMED


@dataclass(frozen=True)
class Understood:
    """A sentence understood before its turn (see `Rooms.prepare`)."""

    match: Match | None
    day: date  # the glimmer day it was understood on: "today" meant this day


@dataclass
class _Room:
    dialogue: Dialogue
    used: float
    offered_on: date | None = None  # the day the evening offer was last taken as made here


@dataclass
class Rooms:
    """Every room's dialogue, made on first use by `make(room)`."""

    make: Callable[[str], Dialogue]
    reflection_time: clock_time | None = None
    kept: int = ROOMS_KEPT
    idle_seconds: float = ROOM_IDLE_SECONDS
    monotonic: Callable[[], float] = time.monotonic
    _rooms: OrderedDict[str, _Room] = field(default_factory=OrderedDict)

    def __len__(self) -> int:
        return len(self._rooms)

    def respond(self, room: str, text: str, now: datetime,
                understood: Understood | None = None) -> Reply:
        """Answer one sentence said in `room` (never called for two sentences at once);
        `understood`, from `prepare`, spares understanding it again on the same day."""
        here = self._room(room)
        dialogue = here.dialogue
        today = dialogue.store.day_of(now)
        match = understood.match if understood is not None and understood.day == today \
            else None  # None: the dialogue understands it itself
        if (is_evening(now, self.reflection_time) and here.offered_on != today
                and not dialogue.waiting and not dialogue.paused):
            # Home Assistant spoke the evening offer (an automation's start_conversation):
            # the first words in this room this evening may answer it ("yes", "not tonight").
            here.offered_on = today
            dialogue.offer_reflection(now)
        return dialogue.respond(text, now, match=match, source="voice")

    def prepare(self, said: Sequence[tuple[str, str]], now: datetime) -> list[Understood]:
        """Sentences (room, text) waiting for their turn, understood now, and the words
        each will have screened judged in one pass of the sentence model: several
        sentences in one pass cost about half as much each as one by one. Nothing is
        answered or changed here: each is still answered alone, in its turn, and what
        the screen decides is what it would decide then (its verdicts are kept by their
        words, so the dialogue finds them ready)."""
        understood: list[Understood] = []
        words: dict[int, tuple[Screen, list[str]]] = {}  # by screen (the service has one)
        for room, text in said:
            dialogue = self._room(room).dialogue
            match = dialogue.understand(text, now)
            understood.append(Understood(match, dialogue.store.day_of(now)))
            if dialogue.language.signs.is_crisis(text):
                continue  # answered at once, with nothing screened
            offered = str(match.slots.get("text") or "") if match is not None else text
            if offered.strip():  # what the dialogue screens: the words offered, and the
                # glimmer they hold (as `Dialogue._capture` finds it), often the same
                words.setdefault(id(dialogue.screen), (dialogue.screen, []))[1].extend(
                    [offered, strip_lead_in(" ".join(offered.split()), dialogue.language.lexicon)])
        for screen, these in words.values():
            screen.judge_all(list(dict.fromkeys(these)))
        return understood

    def _room(self, room: str) -> _Room:
        now = self.monotonic()
        for name in [n for n, r in self._rooms.items() if now - r.used > self.idle_seconds]:
            del self._rooms[name]  # nobody has spoken there for a long while
        here = self._rooms.pop(room, None) or _Room(self.make(room), now)
        here.used = now
        self._rooms[room] = here  # the most recently used last
        while len(self._rooms) > self.kept:
            self._rooms.popitem(last=False)
        return here
