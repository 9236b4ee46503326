"""The conversation: what a person said (and when) in, what to say back out.

One Dialogue serves typed chat and the voice loop alike. It keeps only the small
state a conversation needs: the question it is waiting on, the last reply, the
last delete (for undo) and whether listening is paused. It never opens a device.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from voice_glimmers.core.days import DateRange
from voice_glimmers.core.errors import InvalidText, StoreError
from voice_glimmers.core.glimmer import Glimmer
from voice_glimmers.core.protocols import Store
from voice_glimmers.core.words import plain_words
from voice_glimmers.dialogue.reflection import (
    compose_reflection,
    count_words,
    memories,
    one_glimmer,
    read_some,
    readback,
    search_readback,
)
from voice_glimmers.language.bundle import Language
from voice_glimmers.understand.matcher import MAX_WORDS, Match
from voice_glimmers.understand.tags import tag_text
from voice_glimmers.understand.utterance import (
    after_wake_word,
    as_said,
    is_thinking,
    says_undo,
    strip_answer,
    strip_lead_in,
    understand_said,
    wake_forms,
)

_LOGGER = logging.getLogger(__name__)

_COMMANDS = frozenset({
    "list_glimmers", "count_glimmers", "reflect", "random_glimmer", "search_glimmers",
    "help", "privacy", "pause_listening", "resume_listening", "repeat", "delete_last",
})
_MIXED = frozenset("but after again less finally still despite though although even then until "
                   "anyway helped better calmer lighter eased passed".split())
CRISIS_CARE_SECONDS = 300  # after a crisis answer, what is not a command is met with care
TOO_MANY_WORDS = MAX_WORDS  # more than this is not understood as one thing to keep
CONFIRM_BELOW = 0.6
"""Speech recognised with less confidence than this is read back before it is saved."""


class ConversationSettings(Protocol):
    """The settings a conversation needs (app.settings.Settings has them all)."""

    @property
    def wake_word(self) -> str | None: ...

    @property
    def week_start(self) -> int: ...

    @property
    def crisis_message(self) -> str: ...

    @property
    def db_path(self) -> Path: ...


@dataclass(frozen=True)
class Reply:
    """What to say: `parts` are spoken one by one with a gentle pause between."""

    parts: tuple[str, ...] = ()
    intent: str | None = None
    expects_answer: bool = False
    saved: Glimmer | None = None
    deleted: Glimmer | None = None
    restored: Glimmer | None = None
    problem: str | None = None  # what went wrong, for the screen (the words stay gentle)

    @property
    def text(self) -> str:
        return " ".join(self.parts)


@dataclass(frozen=True)
class _Pending:
    kind: str  # capture | confirm_capture | confirm_delete | more | offer_save | evening |
    #            offer_glimmer
    asked_at: datetime
    text: str = ""
    confidence: float | None = None
    glimmer: Glimmer | None = None
    rest: tuple[Glimmer, ...] = field(default_factory=tuple)


class Dialogue:
    """The conversation state machine: utterance + time -> Reply (+ what it stored)."""

    def __init__(
        self,
        store: Store,
        language: Language,
        settings: ConversationSettings,
        *,
        question_timeout: float | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.store = store
        self.language = replace(language,
                                phrases=language.phrases.with_wake_word(settings.wake_word))
        self.settings = settings
        self.question_timeout = question_timeout
        self.rng = rng or random.Random()
        self.paused = False
        self._pending: _Pending | None = None
        self._last_reply: Reply | None = None
        self._last_deleted: Glimmer | None = None
        self._crisis_at: datetime | None = None

    # --- what the loop asks -------------------------------------------------

    @property
    def waiting(self) -> bool:
        """True while a question is open (the loop listens longer for the answer)."""
        return self._pending is not None

    def expire(self, now: datetime) -> bool:
        """Quietly forget a question left unanswered too long. True if one was dropped."""
        pending = self._pending
        if pending is None or self.question_timeout is None:
            return False
        if (now - pending.asked_at).total_seconds() <= self.question_timeout:
            return False
        _LOGGER.debug("question %s timed out", pending.kind)
        self._pending = None
        return True

    def spoken(self, now: datetime) -> None:
        """The reply has been spoken: an open question's time to be answered starts now
        (a long read-back must not use up the time to answer the question at its end)."""
        if self._pending is not None:
            self._pending = replace(self._pending, asked_at=now)

    def understand(self, text: str, now: datetime) -> Match | None:
        return understand_said(text, self.language.intents, today=self.store.day_of(now),
                               week_start=self.settings.week_start,
                               wake_word=self.settings.wake_word)

    def respond(
        self,
        text: str,
        now: datetime,
        *,
        match: Match | None = None,
        confidence: float | None = None,
        source: str = "text",
    ) -> Reply:
        """Answer one utterance. `match` may be passed when it was already understood."""
        self.expire(now)
        if not text.strip():
            return Reply()
        if self.language.signs.is_crisis(text):
            self._pending = None
            self._crisis_at = now
            return self._remember(Reply((self.settings.crisis_message,), intent="safety"))
        match = match if match is not None else self.understand(text, now)
        intent = match.intent if match else None
        if self.paused and intent != "resume_listening":
            return Reply()
        recent_crisis = (self._crisis_at is not None
                         and (now - self._crisis_at).total_seconds() < CRISIS_CARE_SECONDS)
        if recent_crisis and intent in (None, "yes", "no", "cancel"):
            self._pending = None
            follow_up = f"{self._say('safety_follow_up')} {self.settings.crisis_message}"
            return self._remember(Reply((follow_up,), intent="safety"))
        if self.language.signs.is_hard_feeling(text) and intent not in _COMMANDS - {
            "random_glimmer"
        }:
            return self._remember(self._hard_feeling(text, match, now, confidence))
        pending, self._pending = self._pending, None
        try:
            return self._respond(pending, text, match, now, confidence, source)
        except InvalidText as err:  # its message is already for a person
            return self._remember(Reply((f"{err}.",), intent))
        except StoreError as err:  # the disk is full, the file went away...: say so, keep going
            return self._remember(Reply((self._say("store_problem"),), intent, problem=str(err)))

    def _respond(self, pending: _Pending | None, text: str, match: Match | None, now: datetime,
                 confidence: float | None, source: str) -> Reply:
        intent = match.intent if match else None
        if pending is not None:
            reply = self._answer(pending, text, match, now, confidence, source)
            if reply is not None:
                return self._remember(reply)
        if intent == "repeat":
            last = self._last_reply
            if last is None:
                return Reply((self._say("repeat_nothing"),), intent="repeat")
            if last.expects_answer:
                self._pending = pending  # the question still stands
            return Reply(last.parts, "repeat", expects_answer=last.expects_answer)
        return self._remember(self._act(match, text, now, confidence, source))

    def offer_reflection(self, now: datetime) -> Reply:
        """The evening offer, made by the loop at the configured time."""
        self._pending = _Pending("evening", now)
        return self._remember(Reply((self._say("evening_offer"),), "reflect", expects_answer=True))

    def reflect(self, now: datetime, *, offer: bool = True) -> Reply:
        """The evening reflection on today. It ends by offering to save one more glimmer,
        or, with offer=False (nobody there to answer), by saying how to later."""
        today = self.store.day_of(now)
        parts = compose_reflection(
            self.store.between(today, today),
            memories(self.store, today),
            today,
            self.language.phrases,
            offer=offer,
        )
        if offer:
            self._pending = _Pending("offer_save", now)
        return self._remember(Reply(tuple(parts), "reflect", expects_answer=offer))

    # --- inside -------------------------------------------------------------

    def _say(self, key: str, **slots: Any) -> str:
        return self.language.phrases.reply(key, **slots)

    def _remember(self, reply: Reply) -> Reply:
        if reply.parts:
            self._last_reply = reply
        return reply

    def _ask(self, kind: str, now: datetime, question: str, intent: str, **extra: object) -> Reply:
        self._pending = _Pending(kind, now, **extra)  # type: ignore[arg-type]
        return Reply((question,), intent, expects_answer=True)

    def _answer(
        self,
        pending: _Pending,
        text: str,
        match: Match | None,
        now: datetime,
        confidence: float | None,
        source: str,
    ) -> Reply | None:
        """Handle the answer to an open question; None when it was not an answer."""
        intent = match.intent if match else None
        if intent == "cancel":
            return Reply((self._say("cancel"),), "cancel")
        if intent == "pause_listening":
            return None  # "stop listening" is never a glimmer
        if is_thinking(text):
            self._pending = replace(pending, asked_at=now)  # the question stays open
            return Reply((self._say("take_your_time"),), None, expects_answer=True)
        if pending.kind == "offer_save" and intent not in ("yes", "no") and (
            intent not in _COMMANDS or match is None or match.score < 100
        ):
            pending = replace(pending, kind="capture")  # they told it straight away
        if pending.kind == "capture":
            if intent == "capture_glimmer" and match and match.slots.get("text"):
                said = str(match.slots["text"])
            elif intent == "no":
                return Reply((self._say("offer_declined"),), "no")
            elif intent in _COMMANDS and match is not None and match.score >= 100:
                return None  # a clear command ("what were my glimmers today") is not a glimmer
            elif self.language.signs.is_no_answer(text) or self.language.signs.is_no_answer(
                strip_answer(text)
            ):
                return Reply((self._say("no_answer"),), "capture_glimmer")
            else:
                said = strip_answer(text)
            return self._capture(said, now, confidence, source)
        if intent == "yes":
            return self._accept(pending, now, source)
        if intent == "no" or (pending.kind == "confirm_delete" and says_undo(text)):
            key = {"confirm_delete": "delete_kept", "confirm_capture": "let_go",
                   "evening": "evening_declined", "offer_glimmer": "hard_feeling_declined",
                   }.get(pending.kind, "offer_declined")
            return Reply((self._say(key),), "no")
        if pending.kind == "confirm_capture" and match is None:
            return self._capture(strip_answer(text), now, confidence, source)  # said again
        return None

    def _accept(self, pending: _Pending, now: datetime, source: str) -> Reply:
        if pending.kind == "confirm_capture":
            return self._save(pending.text, now, pending.confidence, source)
        if pending.kind == "confirm_delete" and pending.glimmer is not None:
            deleted = self.store.delete(pending.glimmer.id, at=now)
            self._last_deleted = deleted
            return Reply((self._say("delete_done"),), "delete_last", deleted=deleted)
        if pending.kind == "more":
            parts, rest = read_some(pending.rest, self.store.day_of(now), self.language.phrases)
            return self._offering_rest(parts, rest, now, "list_glimmers")
        if pending.kind == "evening":
            return self.reflect(now)
        if pending.kind == "offer_glimmer":
            return self._act(Match("random_glimmer", {}, 100.0, ""), "", now, None, source)
        return self._ask("capture", now, self._say("ask_what"), "capture_glimmer")

    def _act(
        self, match: Match | None, text: str, now: datetime, confidence: float | None, source: str
    ) -> Reply:
        if match is None:
            return Reply((self._unmatched(text, now),))
        intent, slots = match.intent, match.slots
        today = self.store.day_of(now)
        if intent == "capture_glimmer":
            said = str(slots.get("text") or "").strip()
            if not said:
                return self._ask("capture", now, self._say("ask_what"), intent)
            return self._capture(said, now, confidence, source)
        phrases = self.language.phrases
        if intent in ("list_glimmers", "count_glimmers"):
            span = slots.get("when") or DateRange(today, today)
            found = self.store.between(span.start, span.end)
            week_start = self.settings.week_start
            if intent == "count_glimmers":
                return Reply((count_words(len(found), span, today, phrases, week_start),), intent)
            parts, rest = readback(found, span, today, phrases, week_start)
            return self._offering_rest(parts, rest, now, intent)
        if intent == "search_glimmers":
            query = str(slots.get("query") or "").strip()
            found = self.store.search(query) if query else []
            parts, rest = search_readback(found, query, today, phrases)
            return self._offering_rest(parts, rest, now, intent)
        if intent == "random_glimmer":
            every = self.store.all()
            past = [g for g in every if g.day < today] or every
            glimmer = self.rng.choice(past) if past else None
            return Reply((one_glimmer(glimmer, today, phrases),), intent)
        if intent == "reflect":
            return self.reflect(now)
        if intent == "delete_last":
            return self._delete_last(text, now)
        if intent == "cancel":
            return Reply((self._say("cancel"),), intent)
        if intent == "help":
            return Reply((self._say("help", examples=self._examples()),), intent)
        if intent == "privacy":
            wake = self.settings.wake_word
            key = "privacy" if wake else "privacy_no_wake"
            return Reply((self._say(key, file=self.settings.db_path.name, wake=wake),), intent)
        if intent == "pause_listening":
            self.paused = True
            return Reply((self._say("pause"),), intent)
        if intent == "resume_listening":
            self.paused = False
            return Reply((self._say("resume"),), intent)
        return Reply((self._say("not_sure"),), intent)

    def _capture(self, said: str, now: datetime, confidence: float | None, source: str) -> Reply:
        said = strip_lead_in(" ".join(said.split()))
        signs = self.language.signs
        courtesy = self._courtesy(said)
        if courtesy:
            return Reply((courtesy,), "capture_glimmer")
        if not said or set(plain_words(said)) <= {"glimmer", "glimmers"}:
            return self._ask("capture", now, self._say("ask_what"), "capture_glimmer")
        if signs.is_none_found(said):
            return Reply((self._say("none_found"),), "capture_glimmer")
        if signs.is_hard_feeling(said):
            return self._hard_feeling(said, None, now, confidence)
        if source == "voice" and confidence is not None and confidence < CONFIRM_BELOW:
            return self._ask("confirm_capture", now, self._say("confirm_heard", text=said),
                             "capture_glimmer", text=said, confidence=confidence)
        return self._save(said, now, confidence, source)

    def _save(self, said: str, now: datetime, confidence: float | None, source: str) -> Reply:
        tags = tag_text(said, self.language.tags)
        glimmer = self.store.add(said, at=now, source=source, confidence=confidence, tags=tags)
        # Only now, with the glimmer durable on disk, may we say "saved".
        return Reply((self._say("saved", text=as_said(said)),),
                     "capture_glimmer", saved=glimmer)

    def _offering_rest(self, parts: list[str], rest: tuple[Glimmer, ...], now: datetime,
                       intent: str) -> Reply:
        """A read-back; when more are left, the offer to hear them stays open."""
        if rest:
            self._pending = _Pending("more", now, rest=rest)
        return Reply(tuple(parts), intent, expects_answer=bool(rest))

    def _delete_last(self, text: str, now: datetime) -> Reply:
        undo = says_undo(text)
        if undo and self._last_deleted is not None:
            restored = self.store.undo()
            self._last_deleted = None
            if restored is not None:
                return Reply((self._say("undo_done", text=as_said(restored.text)),),
                             "delete_last", restored=restored)
        last = self.store.last()
        just_saved = self._last_reply is not None and self._last_reply.saved is not None
        if last is None or (undo and not just_saved):
            # "undo" takes back what was just done: a save (asked first) or a delete.
            return Reply((self._say("undo_nothing" if undo else "delete_nothing"),),
                         "delete_last")
        return self._ask("confirm_delete", now, self._say("delete_confirm", text=last.text),
                         "delete_last", glimmer=last)

    def _hard_feeling(self, text: str, match: Match | None, now: datetime,
                      confidence: float | None) -> Reply:
        """A hard feeling is not kept as a glimmer unasked. When it was offered as one and
        holds something good too ("anxious, but the cat curled up by me"), it is kept
        if they say so; otherwise a glimmer from before is offered, if there is one."""
        pending, self._pending = self._pending, None
        after_wake = after_wake_word(text, self.settings.wake_word)
        offered = bool(after_wake) or (match is not None and match.intent == "capture_glimmer")
        answering = pending is not None and pending.kind in ("capture", "offer_save")
        said = ""
        if match is not None and match.intent == "capture_glimmer":
            said = str(match.slots.get("text") or "")
        said = said or after_wake or (strip_answer(text) if answering else "")
        if said and set(plain_words(said)) & _MIXED:
            return self._ask("confirm_capture", now, self._say("hard_mixed"), "capture_glimmer",
                             text=strip_lead_in(said), confidence=confidence)
        heard = "" if offered or answering else "_heard"
        if self.store.last() is None:
            return Reply((self._say("hard_feeling_first" + heard),), "capture_glimmer")
        return self._ask("offer_glimmer", now, self._say("hard_feeling" + heard),
                         "random_glimmer")

    def _unmatched(self, text: str, now: datetime) -> str:
        """Words that are none of the intents: courtesy, talk after a crisis answer, or else."""
        words = " ".join(plain_words(text))
        if len(words.split()) > TOO_MANY_WORDS and after_wake_word(text, self.settings.wake_word):
            return self._say("too_long")
        return self._courtesy(text) or self._say("not_understood")

    def _courtesy(self, text: str) -> str | None:
        """'thank you', 'goodnight' (with or without the wake word): a kind word back."""
        forms = wake_forms(self.settings.wake_word or "glimmer") | wake_forms("glimmer")
        wake = {word for form in forms for word in form.split()}
        words = " ".join(w for w in plain_words(text) if w not in wake)
        if words in ("thank you", "thanks", "thanks a lot", "thank you so much", "cheers"):
            return self._say("thanks")
        if words in ("goodnight", "good night", "night night", "night"):
            return self._say("goodnight")
        return None

    def _examples(self) -> str:
        intents = self.language.intents
        examples = []
        for name in ("capture_glimmer", "list_glimmers", "random_glimmer", "reflect"):
            examples.extend(intents.examples(name, 1))
        wake = self.settings.wake_word or "glimmer"
        quoted = [f"'{wake}{e[len('glimmer'):]}'" if e.lower().startswith("glimmer") else f"'{e}'"
                  for e in examples]
        if len(quoted) > 1:
            quoted[-1] = "or " + quoted[-1]
        return ", ".join(quoted)
