"""The conversation: what a person said (and when) in, what to say back out.

One Dialogue serves typed chat and the voice loop alike, and each room of the Wyoming
service has one of its own. It keeps only the small state a conversation needs: the
question it is waiting on, the last reply, the last save and delete (for "delete that"
and undo) and whether listening is paused. It never opens a device.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import Enum
from pathlib import Path
from typing import Any, Protocol

from voice_glimmers.core.days import DateRange
from voice_glimmers.core.errors import Changed, InvalidText, NotFound, StoreError
from voice_glimmers.core.glimmer import MAX_TEXT_LENGTH, Glimmer, validate_text
from voice_glimmers.core.protocols import Likeness, Senses, Store
from voice_glimmers.core.words import plain_words, tokens
from voice_glimmers.dialogue.reflection import (
    ReflectionLeft,
    Spoken,
    compose_reflection,
    continue_reflection,
    count_words,
    is_evening_hour,
    memories,
    number_word,
    one_glimmer,
    read_some,
    readback,
    reflection_ends,
    search_readback,
)
from voice_glimmers.language.bundle import Language
from voice_glimmers.understand.answers import says_go_on, says_later
from voice_glimmers.understand.matcher import MAX_WORDS, Match
from voice_glimmers.understand.meaning import UNSURE, Meaning
from voice_glimmers.understand.moment import date_of_words
from voice_glimmers.understand.screen import Content, Screen, Verdict
from voice_glimmers.understand.tags import tags_of
from voice_glimmers.understand.utterance import (
    as_said,
    is_thinking,
    says_undo,
    strip_answer,
    strip_lead_in,
    tag_of,
    understand_said,
)
from voice_glimmers.understand.wake import WakeWord

_LOGGER = logging.getLogger(__name__)

CRISIS_CARE_SECONDS = 300  # after a crisis answer, what is not a command is met with care
TOO_MANY_WORDS = MAX_WORDS  # more than this is not understood as one thing to keep
CONFIRM_BELOW = 0.6
"""Speech recognised with less confidence than this is read back before it is saved."""
EVENING_AGAIN_MINUTES = 30
"""'Later' to the evening offer: it is made once more after this many minutes."""
DUPLICATE_SECONDS = 300
"""The same words saved again within this long are asked about ("keep both?")."""


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

    @property
    def reflection_pause_seconds(self) -> float: ...


@dataclass(frozen=True)
class Reply:
    """What to say: `parts` are spoken one by one with a gentle pause between."""

    parts: tuple[str, ...] = ()
    intent: str | None = None
    expects_answer: bool = False
    saved: Glimmer | None = None
    deleted: Glimmer | None = None
    restored: Glimmer | None = None
    heard: Glimmer | None = None  # the glimmer read aloud last (what "delete that" then means)
    changed_from: Glimmer | None = None  # as it was before this reply changed it (for "undo")
    problem: str | None = None  # what went wrong, for the screen (the words stay gentle)
    pauses: tuple[float, ...] = ()  # seconds of quiet after each part (none if left out)

    @property
    def text(self) -> str:
        return " ".join(self.parts)


class Question(Enum):
    """The question the assistant is waiting on an answer to."""

    CAPTURE = "capture"  # "What was it?"
    CONFIRM_CAPTURE = "confirm_capture"  # "I heard: '...'. Shall I save it?"
    CONFIRM_DELETE = "confirm_delete"  # "Delete '...'?"
    MORE = "more"  # "There are two more. Would you like to hear them?"
    OFFER_SAVE = "offer_save"  # the reflection's "one more you'd like to keep?"
    EVENING = "evening"  # "Would you like a quiet moment with today?"
    OFFER_GLIMMER = "offer_glimmer"  # "Would you like to hear one from before?"
    HEART = "heart"  # a very long glimmer: "Could you tell me the heart of it?"
    GO_ON = "go_on"  # a long day's reflection: "There are six more. Shall I go on?"
    DUPLICATE = "duplicate"  # "You saved that one a moment ago; keep both?"
    CORRECT = "correct"  # "What would you like it to say?"
    CONFIRM_CORRECT = "confirm_correct"  # "Change '...' to '...'?"
    TAG = "tag"  # "What tag would you like to give it?"


# What "no" says to each question.
_DECLINED = {Question.CONFIRM_DELETE: "delete_kept", Question.CONFIRM_CAPTURE: "let_go",
             Question.EVENING: "evening_declined", Question.OFFER_GLIMMER: "hard_feeling_declined",
             Question.HEART: "let_go", Question.DUPLICATE: "duplicate_declined",
             Question.CORRECT: "correct_kept", Question.CONFIRM_CORRECT: "correct_kept",
             Question.TAG: "offer_declined"}
Handler = Callable[["Match", str, datetime, "float | None", str], "Reply"]


@dataclass(frozen=True)
class _Pending:
    kind: Question
    asked_at: datetime
    text: str = ""
    confidence: float | None = None
    glimmer: Glimmer | None = None
    rest: tuple[Glimmer, ...] = field(default_factory=tuple)
    name_days: bool = False  # the rest belongs to a read-back over several days
    again: bool = False  # the evening offer, made a second time after "later"
    left: ReflectionLeft | None = None  # what a long day's reflection has still to read


# Questions about words not kept yet: "no, I said ..." to one of them gives the words.
_NOT_KEPT_YET = (Question.CAPTURE, Question.CONFIRM_CAPTURE, Question.HEART, Question.OFFER_SAVE)


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
        likeness: Likeness | None = None,
        screen: Screen | None = None,
        room: str | None = None,
        read_backs: bool = True,
        typed: bool = False,
        meaning: Meaning | None = None,
        senses: Senses | None = None,
    ) -> None:
        """`room` names one of several conversations sharing the store (a satellite): then
        "delete that" and undo reach only what this conversation saved and deleted.
        `read_backs=False` (a shared room) keeps glimmers from being read aloud; saving
        still works. `screen` may be shared between conversations (its verdicts are pure).
        `typed` (chat): every line is addressed to the assistant, wake word or not, and
        help speaks of typing, not of speaking.
        `meaning` is the layer that generalises (understand.meaning); None: templates alone.
        `senses` is the tags' model (encoder.tagger); None: the tag words alone tag."""
        self.store = store
        self.wake = WakeWord.of(settings.wake_word, language)
        self.screen = screen or Screen(language.signs, language.lexicon, likeness,
                                       self.wake.words)
        self.language = replace(language, phrases=language.phrases.with_wake_word(self.wake.word))
        self.settings = settings
        self.question_timeout = question_timeout
        self.rng = rng or random.Random()
        self.room = room
        self.read_backs = read_backs
        self.typed = typed
        self.meaning = meaning
        self.senses = senses
        self.paused = False
        self._pending: _Pending | None = None
        self._last_reply: Reply | None = None
        self._last_saved: Glimmer | None = None
        self._last_saved_at: datetime | None = None
        self._deleted_here: list[int] = []  # what this conversation deleted, newest last
        self._heard_ids: set[int] = set()  # read aloud here ("another one" is none of them)
        # (a room's undo reaches only these; elsewhere undo reaches every deletion)
        self._crisis_at: datetime | None = None
        self._hard_said = 0
        self._care_said = 0
        self.evening_again_at: datetime | None = None
        """After "later" to the evening offer: when to make it once more (the loop does)."""
        self._handlers: dict[str, Handler] = {
            "capture_glimmer": self._on_capture,
            "list_glimmers": self._on_list,
            "count_glimmers": self._on_count,
            "search_glimmers": self._on_search,
            "random_glimmer": self._on_random,
            "last_glimmer": self._on_last,
            "reflect": self._on_reflect,
            "delete_last": self._on_delete,
            "another_glimmer": self._on_another,
            "delete_about": self._on_delete_about,
            "correct_last": self._on_correct,
            "tag_last": self._on_tag,
            "help": self._on_help,
            "privacy": self._on_privacy,
            "pause_listening": self._on_pause,
            "resume_listening": self._on_resume,
            "cancel": self._on_cancel,
            # Answers heard with no question open, and "repeat" (answered in _respond):
            "yes": self._on_nothing_asked,
            "no": self._on_nothing_asked,
            "repeat": self._on_nothing_asked,
        }

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
        _LOGGER.debug("question %s timed out", pending.kind.value)
        self._pending = None
        return True

    def spoken(self, now: datetime) -> None:
        """The reply has been spoken: an open question's time to be answered starts now
        (a long read-back must not use up the time to answer the question at its end)."""
        if self._pending is not None:
            self._pending = replace(self._pending, asked_at=now)

    def understand(self, text: str, now: datetime) -> Match | None:
        return understand_said(text, self.language.intents, self.wake,
                               today=self.store.day_of(now), week_start=self.settings.week_start,
                               meaning=self.meaning)

    @property
    def handled(self) -> frozenset[str]:
        """The intents this dialogue has a handler for (the registry's validator checks)."""
        return frozenset(self._handlers)

    def interrupted(self, now: datetime) -> None:
        """They said 'stop' while it spoke: what was being asked is dropped."""
        self._pending = None
        self._remember(Reply((self._say("cancel"),), "cancel"))

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
            return self._remember(self._crisis(now))
        match = match if match is not None else self.understand(text, now)
        intent = match.intent if match else None
        if self.paused and intent != "resume_listening":
            return Reply()
        registry = self.language.registry
        offered = str(match.slots.get("text") or "") if match is not None else text
        if offered and self.screen.is_danger(offered):  # danger outranks everything
            return self._remember(self._crisis(now))
        if (self._in_care_window(now) and intent in (None, "yes", "no") and self._pending is None
                and not self._courtesy(text)
                and not (intent is None and self._typed_glimmer(text))):
            # Words after a crisis answer that are no request and answer no question: care.
            turn, self._care_said = self._care_said, self._care_said + 1
            follow_up = f"{self._say('safety_follow_up', turn)} {self.settings.crisis_message}"
            return self._remember(Reply((follow_up,), intent="safety"))
        care_first = not registry.is_request(intent) or registry.roles[str(intent)].care_first
        if self.language.signs.is_hard_feeling(text) and care_first:
            return self._remember(self._hard_feeling(text, match, now, confidence))
        pending, self._pending = self._pending, None
        try:
            return self._respond(pending, text, match, now, confidence, source)
        except InvalidText as err:  # its message is already for a person
            return self._remember(Reply((f"{err}.",), intent))
        except NotFound:  # deleted elsewhere (another room, the command line) meanwhile
            return self._remember(Reply((self._say("glimmer_gone"),), intent))
        except StoreError as err:  # the disk is full, the file went away...: say so, keep going
            # A request that could not reach the file is no failed save.
            said = "store_unreadable" if registry.is_request(intent) else "store_problem"
            return self._remember(Reply((self._say(said),), intent, problem=str(err)))

    def _crisis(self, now: datetime) -> Reply:
        """Words of danger: the crisis message, nothing kept, any question dropped."""
        self._pending = None
        self._crisis_at = now
        return Reply((self.settings.crisis_message,), intent="safety")

    def _in_care_window(self, now: datetime) -> bool:
        return (self._crisis_at is not None
                and (now - self._crisis_at).total_seconds() < CRISIS_CARE_SECONDS)

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
            return Reply(last.parts, "repeat", expects_answer=last.expects_answer,
                         pauses=last.pauses, heard=last.heard)
        return self._remember(self._act(match, text, now, confidence, source))

    def offer_reflection(self, now: datetime, *, again: bool = False) -> Reply:
        """The evening offer, made by the loop at the configured time (`again`: once more,
        after they said "later")."""
        self._pending = _Pending(Question.EVENING, now, again=again)
        self.evening_again_at = None
        said = self._say("evening_offer_again" if again else "evening_offer")
        return self._remember(Reply((said,), "reflect", expects_answer=True))

    def reflect(self, now: datetime, *, offer: bool = True) -> Reply:
        """The evening reflection on today. It ends by offering to save one more glimmer,
        or, with offer=False (nobody there to answer), by saying how to later."""
        if not self.read_backs:
            return self._remember(Reply((self._say("read_backs_off"),), "reflect"))
        today = self.store.day_of(now)
        self.evening_again_at = None  # asked for: no need to offer it again
        said, left = compose_reflection(
            self._readable(self.store.between(today, today)),
            memories(self.store, today, lambda glimmer: self.screen.is_readable(glimmer.text)),
            today,
            self.language.phrases,
            offer=offer,
            evening=is_evening_hour(now),
            pause=self.settings.reflection_pause_seconds,
        )
        return self._remember(self._reflecting(said, left, now, offer=offer))

    def _reflecting(self, said: Spoken, left: ReflectionLeft | None, now: datetime, *,
                    offer: bool) -> Reply:
        """A part of the reflection; it ends by asking to go on, or to save one more."""
        if left is not None:
            self._pending = _Pending(Question.GO_ON, now, left=left)
        elif offer:
            self._pending = _Pending(Question.OFFER_SAVE, now)
        return Reply(said.parts, "reflect", expects_answer=offer, pauses=said.pauses)

    # --- inside -------------------------------------------------------------

    def _readable(self, glimmers: list[Glimmer]) -> list[Glimmer]:
        """Only what reads as a glimmer is read back; the rest stays in the file, set aside."""
        readable = self.screen.readable_of([glimmer.text for glimmer in glimmers])  # batched
        return [glimmer for glimmer, ok in zip(glimmers, readable, strict=True) if ok]

    def _say(self, key: str, index: int = 0, **slots: Any) -> str:
        return self.language.phrases.reply(key, index, **slots)

    def _remember(self, reply: Reply) -> Reply:
        if reply.parts:
            self._last_reply = reply
        if reply.heard is not None:
            self._heard_ids.add(reply.heard.id)
        return reply

    def _ask(self, kind: Question, now: datetime, question: str, intent: str,
             **extra: object) -> Reply:
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
        lexicon = self.language.lexicon
        is_request = self.language.registry.is_request(intent)
        if intent == "correct_last" and match is not None and pending.kind in _NOT_KEPT_YET:
            # "no, I said the blackbirds": the words not kept yet were misheard; these are them
            said = str(match.slots.get("text") or "")
            if not said:
                return self._ask(Question.CAPTURE, now, self._say("ask_what"), "capture_glimmer")
            return self._capture(said, now, confidence, source)
        if pending.kind in (Question.CORRECT, Question.TAG) and pending.glimmer is not None and (
            intent != "no" and not (is_request and match is not None and match.score >= 100
                                    and match.intent not in ("correct_last", "tag_last"))
        ):
            return self._changing_answer(pending, text, match, now)
        if pending.kind is Question.EVENING and says_later(text, lexicon):
            return self._evening_later(pending, now)
        if pending.kind in (Question.GO_ON, Question.MORE) and says_go_on(text, lexicon):
            return self._accept(pending, now, source)
        if pending.kind is Question.HEART:
            if intent == "yes" or tuple(plain_words(text)) in lexicon.keep_whole:
                return self._capture(pending.text, now, confidence, source)  # every word
            if intent == "no":
                return Reply((self._say("let_go"),), "no")
            if not (is_request and match is not None and match.score >= 100):
                return self._capture(strip_answer(text, lexicon), now, confidence, source)
        if intent not in ("yes", "no") and is_thinking(text, lexicon):  # "okay" is a yes
            self._pending = replace(pending, asked_at=now)  # the question stays open
            return Reply((self._say("take_your_time"),), None, expects_answer=True)
        if pending.kind is Question.OFFER_SAVE and intent not in ("yes", "no") and (
            not is_request or match is None or match.score < 100
        ):
            pending = replace(pending, kind=Question.CAPTURE)  # they told it straight away
        if pending.kind is Question.CAPTURE:
            if intent == "capture_glimmer" and match and match.slots.get("text"):
                said = str(match.slots["text"])
            elif intent == "no":
                return Reply((self._say("offer_declined"),), "no")
            elif intent == "yes":  # "yes" to "What was it?": there is one; what was it?
                return self._ask(Question.CAPTURE, now, self._say("ask_what"), "capture_glimmer")
            elif is_request and match is not None and match.score >= 100:
                return None  # a clear request ("what were my glimmers today") is not a glimmer
            elif self.language.signs.is_no_answer(text) or self.language.signs.is_no_answer(
                strip_answer(text, lexicon)
            ):
                return Reply((self._say("no_answer"),), "capture_glimmer")
            else:
                said = strip_answer(text, lexicon)
            return self._capture(said, now, confidence, source)
        if intent == "yes":
            return self._accept(pending, now, source)
        if intent == "no" and pending.kind in (Question.OFFER_SAVE, Question.GO_ON):
            return Reply((reflection_ends(self.language.phrases, self.store.day_of(now),
                                          evening=is_evening_hour(now)),), "no")
        if intent == "no" or (pending.kind is Question.CONFIRM_DELETE and says_undo(text, lexicon)):
            return Reply((self._say(_DECLINED.get(pending.kind, "offer_declined")),), "no")
        if pending.kind is Question.CONFIRM_CAPTURE and match is None:
            return self._capture(strip_answer(text, lexicon), now, confidence, source)  # again
        return None

    def _evening_later(self, pending: _Pending, now: datetime) -> Reply:
        """'Later' to the evening offer: made once more a little later (by the loop), not
        ended for the night. A room cannot be spoken to unasked, and a second 'later' is
        not asked about again: both are told how to start it themselves."""
        if self.room is not None:
            return Reply((self._say("evening_later_room"),), "no")
        if pending.again:
            return Reply((self._say("evening_later_again"),), "no")
        self.evening_again_at = now + timedelta(minutes=EVENING_AGAIN_MINUTES)
        return Reply((self._say("evening_later"),), "no")

    def _accept(self, pending: _Pending, now: datetime, source: str) -> Reply:
        if pending.kind in (Question.CONFIRM_CAPTURE, Question.DUPLICATE):
            return self._save(pending.text, now, pending.confidence, source,
                              again=pending.kind is Question.DUPLICATE)
        if pending.kind is Question.CONFIRM_DELETE and pending.glimmer is not None:
            deleted = self.store.delete(pending.glimmer.id, at=now)
            self._deleted_here.append(deleted.id)
            return Reply((self._say("delete_done"),), "delete_last", deleted=deleted)
        if pending.kind is Question.CONFIRM_CORRECT and pending.glimmer is not None:
            return self._correct(pending.glimmer, pending.text, now)
        if pending.kind is Question.MORE:
            parts, rest = read_some(pending.rest, self.store.day_of(now), self.language.phrases,
                                    name_days=pending.name_days)
            return self._offering_rest(parts, rest, now, "list_glimmers", pending.rest,
                                       name_days=pending.name_days)
        if pending.kind is Question.EVENING:
            return self.reflect(now)
        if pending.kind is Question.GO_ON and pending.left is not None:
            said, left = continue_reflection(
                pending.left, self.language.phrases, evening=is_evening_hour(now),
                pause=self.settings.reflection_pause_seconds)
            return self._reflecting(said, left, now, offer=True)
        if pending.kind is Question.OFFER_GLIMMER:
            return self._on_random(Match("random_glimmer", {}, 100.0, ""), "", now, None, source)
        return self._ask(Question.CAPTURE, now, self._say("ask_what"), "capture_glimmer")

    def _act(
        self, match: Match | None, text: str, now: datetime, confidence: float | None, source: str
    ) -> Reply:
        if match is None:
            if self.screen.judge(text).content in (Content.HARD, Content.MIXED):
                return self._hard_feeling(text, None, now, confidence)  # "i had a bad day"
            typed = self._typed_moment(text, now, source) if self.typed else None
            if typed is not None:
                return typed
            said = self._unmatched(text, now)
            asked = self._pending is not None and self._pending.kind is Question.HEART
            return Reply((said,), expects_answer=asked)
        role = self.language.registry.roles.get(match.intent)
        if role is not None and role.reads_back and not self.read_backs:
            return Reply((self._say("read_backs_off"),), match.intent)
        handler = self._handlers.get(match.intent, self._on_nothing_asked)
        return handler(match, text, now, confidence, source)

    # --- one handler per intent (keyed by the registry's names) ---------------

    def _on_capture(self, match: Match, text: str, now: datetime, confidence: float | None,
                    source: str) -> Reply:
        said = str(match.slots.get("text") or "").strip()
        if not said:
            return self._ask(Question.CAPTURE, now, self._say("ask_what"), match.intent)
        return self._capture(said, now, confidence, source, unsure=bool(match.slots.get(UNSURE)))

    def _span(self, match: Match, now: datetime) -> tuple[DateRange, list[Glimmer]]:
        today = self.store.day_of(now)
        span = match.slots.get("when") or DateRange(today, today)
        found = self.store.between(span.start, span.end)
        return span, [g for g in found if span.holds(g.created_at, g.day)]  # "this morning"

    def _on_list(self, match: Match, text: str, now: datetime, confidence: float | None,
                 source: str) -> Reply:
        span, found = self._span(match, now)
        readable = self._readable(found)
        parts, rest = readback(readable, span, self.store.day_of(now),
                               self.language.phrases, self.settings.week_start)
        return self._offering_rest(parts, rest, now, match.intent, readable,
                                   name_days=len({g.day for g in readable}) > 1)

    def _on_count(self, match: Match, text: str, now: datetime, confidence: float | None,
                  source: str) -> Reply:
        span, found = self._span(match, now)
        return Reply((count_words(len(found), span, self.store.day_of(now),
                                  self.language.phrases, self.settings.week_start),),
                     match.intent)

    def _on_search(self, match: Match, text: str, now: datetime, confidence: float | None,
                   source: str) -> Reply:
        query = str(match.slots.get("query") or "").strip()
        found = self._readable(self.store.search(query)) if query else []
        parts, rest = search_readback(found, query, self.store.day_of(now), self.language.phrases)
        return self._offering_rest(parts, rest, now, match.intent, found, name_days=True)

    def _on_random(self, match: Match, text: str, now: datetime, confidence: float | None,
                   source: str) -> Reply:
        glimmer = self._from_before(now)
        return Reply((one_glimmer(glimmer, self.store.day_of(now), self.language.phrases),),
                     match.intent, heard=glimmer)

    def _from_before(self, now: datetime, skip: Collection[int] = ()) -> Glimmer | None:
        """A glimmer from before today, at random, that reads as one and is not in `skip`;
        from today when nothing was saved before; None when none reads as one."""
        today = self.store.day_of(now)
        every = self.store.all()
        past = [g for g in every if g.day < today] or every
        if skip:
            past = [g for g in past if g.id not in skip]
        # Drawn one at a time until one reads as a glimmer: few are ever screened, and
        # none of thousands is shuffled for nothing.
        for left in range(len(past), 0, -1):
            drawn = self.rng.randrange(left)
            glimmer, past[drawn] = past[drawn], past[left - 1]
            if self.screen.is_readable(glimmer.text):
                return glimmer
        return None

    def _on_last(self, match: Match, text: str, now: datetime, confidence: float | None,
                 source: str) -> Reply:
        """The glimmer saved last that reads as one, with when it was."""
        latest = sorted(self.store.all(), key=lambda g: g.id, reverse=True)
        glimmer = next((g for g in latest if self.screen.is_readable(g.text)), None)
        return Reply((one_glimmer(glimmer, self.store.day_of(now), self.language.phrases),),
                     match.intent, heard=glimmer)

    def _on_another(self, match: Match, text: str, now: datetime, confidence: float | None,
                    source: str) -> Reply:
        """Another glimmer from before, one not read aloud here yet; when every one has
        been, they start again."""
        glimmer = self._from_before(now, skip=self._heard_ids)
        said = one_glimmer(glimmer, self.store.day_of(now), self.language.phrases)
        if glimmer is None and self._heard_ids:
            self._heard_ids.clear()  # once all were heard, they start again
            glimmer = self._from_before(now)
            if glimmer is not None:
                said = self._say("another_none", text=one_glimmer(
                    glimmer, self.store.day_of(now), self.language.phrases))
        return Reply((said,), match.intent, heard=glimmer)

    def _on_reflect(self, match: Match, text: str, now: datetime, confidence: float | None,
                    source: str) -> Reply:
        return self.reflect(now)

    def _on_delete_about(self, match: Match, text: str, now: datetime,
                         confidence: float | None, source: str) -> Reply:
        """'Delete the one about the dog': the newest that reads as a glimmer, after asking
        (and saying how many there are, when there are several)."""
        query = str(match.slots.get("query") or "").strip()
        if not (set(plain_words(query)) - self.language.lexicon.little_words - {"about"}):
            return Reply((self._say("delete_what"),), match.intent)  # "delete the one about"
        found = self._readable(self.store.search(query))
        if not found:
            return Reply((self._say("delete_none_about", query=query),), match.intent)
        newest = found[0]
        if len(found) == 1:
            said = self._say("delete_confirm", text=newest.text)
        else:
            said = self._say("delete_which", count=number_word(len(found)), query=query,
                             text=newest.text)
        return self._ask(Question.CONFIRM_DELETE, now, said, match.intent, glimmer=newest)

    def _on_correct(self, match: Match, text: str, now: datetime, confidence: float | None,
                    source: str) -> Reply:
        """'Change that to ...': new words for the glimmer just saved or heard, asked first."""
        target = self._that()
        if target is None:
            return Reply((self._say("correct_nothing"),), match.intent)
        said = strip_lead_in(" ".join(str(match.slots.get("text") or "").split()),
                             self.language.lexicon)
        if not said:
            return self._ask(Question.CORRECT, now, self._say("correct_what"), match.intent,
                             glimmer=target)
        return self._confirm_correct(target, said, now)

    def _on_tag(self, match: Match, text: str, now: datetime, confidence: float | None,
                source: str) -> Reply:
        """'Tag that as family': a tag of their own on the glimmer just saved or heard."""
        target = self._that()
        if target is None:
            return Reply((self._say("tag_nothing"),), match.intent)
        tag = tag_of(str(match.slots.get("tag") or ""), self.language.lexicon, self.wake.words)
        if not tag:
            return self._ask(Question.TAG, now, self._say("tag_what"), match.intent,
                             glimmer=target)
        return self._tag(target, tag)

    def _on_delete(self, match: Match, text: str, now: datetime, confidence: float | None,
                   source: str) -> Reply:
        return self._delete_last(text, now)

    def _on_help(self, match: Match, text: str, now: datetime, confidence: float | None,
                 source: str) -> Reply:
        asked = self.wake.after(text) or text
        if tuple(plain_words(asked)) in self.language.lexicon.what_is_glimmer:
            return Reply((self._say("what_is_glimmer"),), match.intent)
        key = "help_typed" if self.typed else "help"
        return Reply((self._say(key, examples=self._examples()),), match.intent)

    def _on_privacy(self, match: Match, text: str, now: datetime, confidence: float | None,
                    source: str) -> Reply:
        wake = self.wake.chosen
        key = ("privacy_room" if self.room is not None else
               "privacy" if wake and not self.typed else "privacy_no_wake")
        path = self.settings.db_path  # typed, where it is; spoken, a path is no sentence
        folder = _folder_of(path) if self.typed else f"'{path.absolute().parent.name or '/'}'"
        return Reply((self._say(key, file=path.name, folder=folder, wake=wake),), match.intent)

    def _on_pause(self, match: Match, text: str, now: datetime, confidence: float | None,
                  source: str) -> Reply:
        if self.room is not None:  # a satellite is muted on the satellite
            return Reply((self._say("pause_room"),), match.intent)
        self.paused = True
        return Reply((self._say("pause"),), match.intent)

    def _on_resume(self, match: Match, text: str, now: datetime, confidence: float | None,
                   source: str) -> Reply:
        was_paused, self.paused = self.paused, False
        return Reply((self._say("resume" if was_paused else "resume_not_paused"),), match.intent)

    def _on_cancel(self, match: Match, text: str, now: datetime, confidence: float | None,
                   source: str) -> Reply:
        return Reply((self._say("cancel"),), match.intent)

    def _on_nothing_asked(self, match: Match, text: str, now: datetime,
                          confidence: float | None, source: str) -> Reply:
        """'yes' or 'no' with no question open: nothing to do."""
        return Reply((self._say("not_sure"),), match.intent)

    # --- keeping a glimmer ----------------------------------------------------

    def _capture(self, said: str, now: datetime, confidence: float | None, source: str,
                 unsure: bool = False) -> Reply:
        said = strip_lead_in(" ".join(said.split()), self.language.lexicon)
        signs = self.language.signs
        courtesy = self._courtesy(said)
        if courtesy:
            return Reply((courtesy,), "capture_glimmer")
        words = plain_words(said)
        if not said or set(words) <= self.wake.words:
            return self._ask(Question.CAPTURE, now, self._say("ask_what"), "capture_glimmer")
        if set(words) <= self.wake.words | self.language.lexicon.little_words:
            return Reply((self._say("no_answer"),), "capture_glimmer")  # "the", "um glimmer um"
        verdict = self.screen.judge(said)
        _LOGGER.debug("screen: %s (%s)", verdict.content.value, verdict.why)
        if verdict.content is Content.DANGER:
            return self._crisis(now)
        if verdict.content is Content.NOTHING:
            key = "none_found" if signs.is_none_found(said) else "no_answer"
            return Reply((self._say(key),), "capture_glimmer")
        if verdict.content in (Content.HARD, Content.MIXED):
            return self._hard_feeling(said, None, now, confidence, verdict,
                                      offered_as_glimmer=True)
        if unsure:  # it may have been a request: asked, never saved silently
            return self._ask(Question.CONFIRM_CAPTURE, now, self._say("save_or_else", text=said),
                             "capture_glimmer", text=said, confidence=confidence)
        if verdict.content is Content.UNCLEAR:
            return self._ask(Question.CONFIRM_CAPTURE, now, self._say("confirm_unclear",
                                                                      text=said),
                             "capture_glimmer", text=said, confidence=confidence)
        if source == "voice" and confidence is not None and confidence < CONFIRM_BELOW:
            return self._ask(Question.CONFIRM_CAPTURE, now, self._say("confirm_heard", text=said),
                             "capture_glimmer", text=said, confidence=confidence)
        return self._save(said, now, confidence, source)

    def _save(self, said: str, now: datetime, confidence: float | None, source: str, *,
              again: bool = False) -> Reply:
        """Keep it, dated by its own time words if it has them; the same words just saved
        are asked about first, unless they said to keep both (`again`)."""
        if not again and self._is_just_saved(said, now):
            return self._ask(Question.DUPLICATE, now, self._say("duplicate", text=said),
                             "capture_glimmer", text=said, confidence=confidence)
        dated = date_of_words(said, now, self.store.day_of(now))  # "yesterday evening, ..."
        tags = tags_of(said, self.language.tags, self.senses)
        glimmer = self.store.add(said, at=dated.at if dated else now, source=source,
                                 confidence=confidence, tags=tags)
        self._last_saved, self._last_saved_at = glimmer, now
        # Only now, with the glimmer durable on disk, may we say "saved".
        if dated is not None:
            return Reply((self._say("saved_for", day=dated.when, text=as_said(dated.rest)),),
                         "capture_glimmer", saved=glimmer)
        return Reply((self._say("saved", text=as_said(said)),),
                     "capture_glimmer", saved=glimmer)

    def _is_just_saved(self, said: str, now: datetime) -> bool:
        """The same words as the glimmer this conversation saved a few minutes ago."""
        last, at = self._last_saved, self._last_saved_at
        if last is None or at is None or (now - at).total_seconds() > DUPLICATE_SECONDS:
            return False
        return plain_words(last.text) == plain_words(said) and self.store.get(last.id) is not None

    def _typed_moment(self, text: str, now: datetime, source: str) -> Reply | None:
        """A typed line that is no request is addressed to the assistant all the same:
        one that reads as a moment is kept, or asked about when the screen is unsure (or
        has only its phrase lists), through the same screen as every glimmer. None when
        it is no moment at all (a question, "asdf"...)."""
        verdict = self._typed_verdict(text)
        if verdict is None:
            return None
        said = strip_lead_in(" ".join(text.split()), self.language.lexicon)
        if verdict.content is Content.GLIMMER and verdict.scores:  # the sentence model is sure
            return self._capture(said, now, None, source)
        if verdict.content in (Content.GLIMMER, Content.UNCLEAR):
            return self._ask(Question.CONFIRM_CAPTURE, now,
                             self._say("confirm_unclear", text=said), "capture_glimmer",
                             text=said)
        return None

    def _typed_verdict(self, text: str) -> Verdict | None:
        """What the screen makes of a typed line as a moment; None for no moment at all."""
        words = plain_words(text)
        if not words or len(words) > TOO_MANY_WORDS or text.rstrip().endswith("?"):
            return None
        return self.screen.judge(strip_lead_in(" ".join(text.split()), self.language.lexicon))

    def _typed_glimmer(self, text: str) -> bool:
        """A typed line the sentence model is sure is a good moment ("the tea was warm"):
        in chat, as "glimmer, the tea was warm" is spoken; after a crisis answer too."""
        if not self.typed:
            return False
        verdict = self._typed_verdict(text)
        return verdict is not None and verdict.content is Content.GLIMMER and bool(verdict.scores)

    def is_leaving(self, text: str) -> bool:
        """'bye', 'quit', 'exit' typed alone: the end of a typed conversation."""
        words = tuple(w for w in plain_words(text) if w not in self.wake.words)
        return bool(words) and words in self.language.lexicon.leave

    def _offering_rest(self, parts: list[str], rest: tuple[Glimmer, ...], now: datetime,
                       intent: str, read: Sequence[Glimmer] = (), *,
                       name_days: bool = False) -> Reply:
        """A read-back of `read` (the rest not yet read); when more are left, the offer to
        hear them stays open (and the rest names its days when the read-back as a whole
        went over several)."""
        if rest:
            self._pending = _Pending(Question.MORE, now, rest=rest, name_days=name_days)
        heard = read[len(read) - len(rest) - 1] if len(read) > len(rest) else None
        return Reply(tuple(parts), intent, expects_answer=bool(rest), heard=heard)

    def _delete_last(self, text: str, now: datetime) -> Reply:
        undo = says_undo(text, self.language.lexicon)
        just_saved = self._last_reply is not None and self._last_reply.saved is not None
        if undo and self._last_reply is not None and self._last_reply.changed_from is not None:
            return self._change_back(self._last_reply)  # "undo" right after a change
        if undo and not just_saved:
            restored = self._bring_back()
            if restored is not None:
                return Reply((self._say("undo_done", text=as_said(restored.text)),),
                             "delete_last", restored=restored)
        last = self._that()
        if last is None or (undo and not just_saved):
            # "undo" takes back what was just done: a save (asked first) or a delete.
            return Reply((self._say("undo_nothing" if undo else "delete_nothing"),),
                         "delete_last")
        return self._ask(Question.CONFIRM_DELETE, now, self._say("delete_confirm", text=last.text),
                         "delete_last", glimmer=last)

    def _changing_answer(self, pending: _Pending, text: str, match: Match | None,
                         now: datetime) -> Reply:
        """The answer to "What should it say instead?" or "What tag...?"."""
        assert pending.glimmer is not None
        target = self.store.get(pending.glimmer.id)
        if target is None:  # deleted meanwhile (elsewhere)
            return Reply((self._say("correct_nothing"),), "correct_last")
        slot = "tag" if pending.kind is Question.TAG else "text"
        said = str(match.slots.get(slot) or "") if match is not None else ""
        said = said or strip_answer(text, self.language.lexicon)
        if pending.kind is Question.TAG:
            tag = tag_of(said, self.language.lexicon, self.wake.words)
            if not tag:
                return Reply((self._say("offer_declined"),), "tag_last")
            return self._tag(target, tag)
        said = strip_lead_in(" ".join(said.split()), self.language.lexicon)
        if not said:
            return Reply((self._say("correct_unheard"),), "correct_last")
        return self._confirm_correct(target, said, now)

    def _confirm_correct(self, target: Glimmer, said: str, now: datetime) -> Reply:
        """New words are screened as every glimmer is, then asked about."""
        said = validate_text(said)  # too long: said in one line (InvalidText), never asked
        verdict = self.screen.judge(said)
        if verdict.content is Content.DANGER:
            return self._crisis(now)
        if verdict.content in (Content.HARD, Content.MIXED):
            return self._hard_feeling(said, None, now, None, verdict, offered_as_glimmer=True)
        if verdict.content is Content.NOTHING or set(plain_words(said)) <= (
                self.wake.words | self.language.lexicon.little_words):
            return Reply((self._say("correct_unheard"),), "correct_last")
        return self._ask(Question.CONFIRM_CORRECT, now,
                         self._say("correct_confirm", old=target.text, text=said),
                         "correct_last", glimmer=target, text=said)

    def _correct(self, target: Glimmer, said: str, now: datetime) -> Reply:
        """Keep the new words, if the glimmer still has the words they were asked about
        (else they are asked again); every tag it has stays, and the senses of the new
        words are added."""
        senses = tags_of(said, self.language.tags, self.senses)
        try:
            changed = self.store.change(target.id, text=said, expect=target.text,
                                        tags=lambda had: tuple(dict.fromkeys((*had, *senses))))
        except Changed:
            fresh = self.store.get(target.id)
            if fresh is None:
                return Reply((self._say("glimmer_gone"),), "correct_last")
            return self._confirm_correct(fresh, said, now)
        return Reply((self._say("correct_done", text=as_said(changed.text)),), "correct_last",
                     heard=changed, changed_from=target)

    def _tag(self, target: Glimmer, tag: str) -> Reply:
        if tag in target.tags:
            return Reply((self._say("tag_already", tag=tag),), "tag_last", heard=target)
        changed = self.store.change(  # made from its tags as they are now, under the lock
            target.id, tags=lambda had: had if tag in had else (*had, tag))
        return Reply((self._say("tag_done", tag=tag, text=as_said(changed.text)),), "tag_last",
                     heard=changed, changed_from=target)

    def _change_back(self, done: Reply) -> Reply:
        """Undo the change just made: its old words back, and the tags it added taken off
        (other tags, given meanwhile elsewhere, stay); unless it was changed again since."""
        before, after = done.changed_from, done.heard
        assert before is not None and after is not None
        added = set(after.tags) - set(before.tags)
        try:
            back = self.store.change(before.id, text=before.text, expect=after.text,
                                     tags=lambda had: tuple(t for t in had if t not in added))
        except (Changed, NotFound):
            return Reply((self._say("undo_nothing"),), "delete_last")
        return Reply((self._say("undo_change", text=as_said(back.text)),), "delete_last",
                     heard=back)

    def _bring_back(self) -> Glimmer | None:
        """Undo, step by step back through every deletion, wherever it was made (`delete`
        on the command line too); in a room, only through what this room deleted."""
        if self.room is None:
            return self.store.undo()
        while self._deleted_here:
            restored = self.store.undo(self._deleted_here.pop())
            if restored is not None:
                return restored
        return None

    def _that(self) -> Glimmer | None:
        """The glimmer "delete that" means: the one just read aloud (a random glimmer, the
        last of a read-back or search); else the one saved last; in a room, the one this
        room saved last (what the kitchen said is never deleted from the bedroom)."""
        heard = self._last_reply.heard if self._last_reply is not None else None
        if heard is not None:
            return self.store.get(heard.id)
        if self.room is None:
            return self.store.last()
        if self._last_saved is None:
            return None
        return self.store.get(self._last_saved.id)

    def _hard_feeling(self, text: str, match: Match | None, now: datetime,
                      confidence: float | None, verdict: Verdict | None = None,
                      offered_as_glimmer: bool = False) -> Reply:
        """A hard feeling is not kept as a glimmer unasked. When it was offered as one and
        holds something good too ("anxious, but the cat curled up by me"), it is kept
        if they say so; otherwise a glimmer from before is offered, if there is one."""
        pending, self._pending = self._pending, None
        lexicon = self.language.lexicon
        after_wake = self.wake.after(text)
        offered = offered_as_glimmer or bool(after_wake) or (
            match is not None and match.intent == "capture_glimmer")
        answering = pending is not None and pending.kind in (Question.CAPTURE, Question.OFFER_SAVE)
        said = text if offered_as_glimmer else ""
        if not said and match is not None and match.intent == "capture_glimmer":
            said = str(match.slots.get("text") or "")
        said = said or after_wake or (strip_answer(text, lexicon) if answering else "")
        mixed = verdict.content is Content.MIXED if verdict else bool(
            set(plain_words(said)) & lexicon.turning_words)
        if said and mixed:
            good = self.screen.good_part(strip_lead_in(said, lexicon))
            return self._ask(Question.CONFIRM_CAPTURE, now, self._say("hard_mixed", text=good),
                             "capture_glimmer", text=good, confidence=confidence)
        heard = "" if offered or answering else "_heard"
        turn, self._hard_said = self._hard_said, self._hard_said + 1  # the same words four
        # times running feel like being turned away: each time, the next variant
        if self.store.last() is None or not self.read_backs:  # nothing from before to offer
            return Reply((self._say("hard_feeling_first" + heard, turn),), "capture_glimmer")
        return self._ask(Question.OFFER_GLIMMER, now,
                         self._say("hard_feeling" + heard, turn), "random_glimmer")

    def _unmatched(self, text: str, now: datetime) -> str:
        """Words that are none of the intents: courtesy, talk after a crisis answer, or else."""
        words = " ".join(plain_words(text))
        if len(words.split()) > TOO_MANY_WORDS and self.wake.after(text):
            found = tokens(text)
            wake_at = next(t for t in found if t.word in self.wake.words)  # after() found one
            whole = strip_lead_in(text[wake_at.end:].lstrip(" \t,:;.-"), self.language.lexicon)
            self._pending = _Pending(Question.HEART, now, text=whole)
            if len(whole) > MAX_TEXT_LENGTH:  # more than a glimmer can hold: only its heart
                return self._say("too_long_to_keep")
            return self._say("too_long")
        return self._courtesy(text) or self._say(
            "not_understood_typed" if self.typed else "not_understood")

    def _courtesy(self, text: str) -> str | None:
        """'thank you', 'goodnight' (with or without the wake word): a kind word back."""
        words = tuple(w for w in plain_words(text) if w not in self.wake.words)
        if words in self.language.lexicon.thanks:
            return self._say("thanks")
        if words in self.language.lexicon.goodnight:
            return self._say("goodnight")
        return None

    def _examples(self) -> str:
        intents = self.language.intents
        examples = []
        for role in self.language.registry:
            if role.help_example:
                examples.extend(intents.examples(role.name, 1))
        template, wake = self.wake.template, self.wake.word
        quoted = [f"'{wake}{e[len(template):]}'" if e.lower().startswith(template) else f"'{e}'"
                  for e in examples]
        if len(quoted) > 1:
            quoted[-1] = "or " + quoted[-1]
        return ", ".join(quoted)


def _folder_of(path: Path) -> str:
    """The folder a file is in, as a person would write it ('~/.local/share/...')."""
    folder = path.expanduser().absolute().parent
    try:
        inside = folder.relative_to(Path.home())
    except (ValueError, RuntimeError):  # not under the home folder, or no home at all
        return str(folder)
    return "~" if str(inside) == "." else f"~/{inside}"
