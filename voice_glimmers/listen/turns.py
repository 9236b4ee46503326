"""Turn-taking: when has a person finished speaking?

A voice activity detector hears when the sound stops; the words heard so far say whether
what was said is complete. A complete request or answer ("yes", "delete that", "what were
my glimmers today"), or words not meant for the assistant, end after a short silence. An
open capture ("glimmer", "glimmer, the smell of...", "I have a glimmer") and the answer to
"What was it?" wait longer, so a pause to find the words does not cut them in two; each
new word starts the wait again, and the long silence is its limit. Vosk's own endpoint
rule stays the backstop. A stretch of speech is ended with Vosk's own FinalResult (so the
words and times are Vosk's), and its finished words are asked again: an open capture is
held and joined to what follows a pause (a recogniser whose partial words lag behind the
speech shows the wake word only then).

Long silence is not fed through the recogniser: between turns, audio waits in a short
buffer (`pre_roll` seconds) and only goes to Vosk once the detector hears speech, so the
first word is never lost, nor the words Vosk would hear after a stretch of the room.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any, Protocol

from voice_glimmers.core.heard import Partial, Utterance, Word
from voice_glimmers.language.registry import Kind

PRE_ROLL_SECONDS = 1.0
"""Audio kept before the detector hears speech, and fed first, so no first word is lost.
A second, not less: each turn is ended with FinalResult, after which Vosk starts its
features afresh (their normalisation and speaker adaptation), and they settle on the
room's sound before the words. With half a second the Korean model heard 4-5% fewer
words than bare Vosk on the same speech (69 against 71.6 words on ten sentences, 86.2
against 90.6 on ten captures, five runs each); with a second, as many (71.8, 90.2)."""


class Turn(Enum):
    COMPLETE = "complete"  # ends after the short silence
    OPEN = "open"  # a capture still being told: waits for the long silence


class Recogniser(Protocol):
    """What TurnTaker needs of the recogniser (VoskTranscriber has it)."""

    @property
    def position(self) -> float: ...

    @property
    def partial_words(self) -> tuple[Word, ...]: ...

    def accept(self, frame: bytes) -> list[Partial | Utterance]: ...

    def skip(self, frame: bytes) -> None: ...

    def finish(self) -> list[Partial | Utterance]: ...

    def flush(self) -> list[Partial | Utterance]: ...

    def reset(self) -> None: ...


class Detector(Protocol):
    silence: float

    def hears_speech(self, block: bytes) -> bool: ...

    def reset(self) -> None: ...


class Listener(Protocol):
    """What turn_of needs to know of the conversation (Dialogue has it)."""

    @property
    def waiting(self) -> bool: ...

    def understand(self, text: str, now: datetime) -> object | None: ...


@dataclass(frozen=True)
class EndOfSpeech:
    """The policy: how much silence ends a turn of each kind (the settings
    short_silence_seconds and long_silence_seconds)."""

    short_seconds: float
    long_seconds: float

    def wait(self, turn: Turn) -> float:
        return self.short_seconds if turn is Turn.COMPLETE else self.long_seconds

    def has_ended(self, turn: Turn, silence: float) -> bool:
        return silence >= self.wait(turn) - 1e-9


def turn_of(text: str, listener: Listener, kind_of: Callable[[str | None], Kind | None],
            named: Callable[[str], bool], now: datetime,
            foreseen: Callable[[str, datetime], object | None] | None = None) -> Turn:
    """Is what was said so far complete, or a capture still being told?

    Decided by the understanding the reply will use: a capture intent is open; a request
    or an answer is complete; words that match nothing are open when they name the
    assistant ("glimmer, the smell of...") or answer its open question in their own
    words, and complete otherwise (talk in the room, let go after a short silence).

    A request read only from the words' meaning (the sentence model), where the templates
    (`foreseen`: the understanding without the sentence model) read the assistant's name
    and a moment being told, is open too: the reading is a guess, and half a moment read
    as a request would be cut off at the next pause, while waiting the long silence costs
    a request said in unforeseen words less than a second.
    """
    if not text.strip():
        return Turn.COMPLETE  # nothing recognised (yet): Vosk's FinalResult says what it was
    match = listener.understand(text, now)
    intent = getattr(match, "intent", None)
    if match is not None:
        if kind_of(intent) is Kind.CAPTURE:
            return Turn.OPEN
        if foreseen is not None and named(text):
            told = foreseen(text, now)
            if told is not None and kind_of(getattr(told, "intent", None)) is Kind.CAPTURE:
                return Turn.OPEN
        return Turn.COMPLETE
    return Turn.OPEN if named(text) or listener.waiting else Turn.COMPLETE


class TurnTaker:
    """A Transcriber that ends turns as a person does, over a recogniser and a detector.

    `turn` says whether the words so far are complete or open (turn_of, bound to the
    conversation). Used from one thread, like the recogniser it wraps.
    """

    def __init__(self, recogniser: Recogniser, detector: Detector, policy: EndOfSpeech,
                 turn: Callable[[str], Turn], *, pre_roll: float = PRE_ROLL_SECONDS,
                 sample_rate: int = 16000):
        self.recogniser = recogniser
        self.detector = detector
        self.policy = policy
        self._turn = turn
        self._pre_roll_bytes = int(pre_roll * sample_rate) * 2
        self._waiting_audio: deque[bytes] = deque()
        self._waiting_bytes = 0
        self._feeding = False
        self._held: tuple[Word, ...] = ()  # an open capture's words that Vosk already ended
        self._turns: dict[str, Turn] = {}
        self.fed_seconds = 0.0  # audio that went through the recogniser (the cost)
        self._sample_rate = sample_rate

    @property
    def position(self) -> float:
        return self.recogniser.position

    def accept(self, frame: bytes) -> list[Partial | Utterance]:
        speech = self.detector.hears_speech(frame)
        if not self._feeding:
            self._keep(frame)
            if not speech:  # between turns, or a capture pausing
                if self._held and self.policy.has_ended(Turn.OPEN, self._silence(self._held)):
                    return self._end([])
                return []
            self._feeding = True  # speech: the buffered audio goes first
            heard: list[Partial | Utterance] = []
            while self._waiting_audio:
                heard += self._feed(self._waiting_audio.popleft())
            self._waiting_bytes = 0
        else:
            heard = self._feed(frame)
        return self._decide(heard)

    def flush(self) -> list[Partial | Utterance]:
        if not self._feeding and not self._held:
            return []
        return self._end(self.recogniser.flush())

    def reset(self) -> None:
        self.recogniser.reset()
        self.detector.reset()
        self._waiting_audio.clear()
        self._waiting_bytes = 0
        self._feeding = False
        self._held = ()
        self._turns.clear()

    # --- inside ---------------------------------------------------------------

    def _keep(self, frame: bytes) -> None:
        """Between turns: keep the last `pre_roll` seconds; older audio is skipped."""
        self._waiting_audio.append(frame)
        self._waiting_bytes += len(frame)
        while self._waiting_bytes > self._pre_roll_bytes and len(self._waiting_audio) > 1:
            old = self._waiting_audio.popleft()
            self._waiting_bytes -= len(old)
            self.recogniser.skip(old)

    def _feed(self, frame: bytes) -> list[Partial | Utterance]:
        self.fed_seconds += len(frame) / (2 * self._sample_rate)
        return self.recogniser.accept(frame)

    def _kind(self, words: tuple[Word, ...]) -> Turn:
        text = " ".join(w.word for w in words)
        if text not in self._turns:
            self._turns[text] = self._turn(text)
        return self._turns[text]

    def _silence(self, words: tuple[Word, ...]) -> float:
        """Seconds since speech: the detector's, and no less than Vosk's last word allows."""
        silence = self.detector.silence
        if words:
            silence = min(silence, max(0.0, self.position - words[-1].end))
        return silence

    def _decide(self, heard: list[Partial | Utterance]) -> list[Partial | Utterance]:
        out: list[Partial | Utterance] = []
        for item in heard:
            if isinstance(item, Utterance):  # Vosk's own endpoint: the backstop
                out += self._segment_ended([item], feeding=True)
            elif self._held:
                held = " ".join(w.word for w in self._held)
                out.append(Partial(f"{held} {item.text}".strip()))
            else:
                out.append(item)
        words = self._held + self.recogniser.partial_words
        if self._feeding and self.policy.has_ended(self._kind(words), self._silence(words)):
            out += self._segment_ended(self.recogniser.finish(), feeding=False)
        return out

    def _segment_ended(self, heard: list[Partial | Utterance], *,
                       feeding: bool) -> list[Partial | Utterance]:
        """Vosk has finished a stretch of speech: is the turn over? Asked again of its
        finished words, which may show what the partial ones did not yet (the wake word):
        an open capture is held, to be joined to what follows a pause."""
        words = self._held + tuple(w for h in heard if isinstance(h, Utterance)
                                   for w in h.words)
        # the long silence asked first: once it is over, the words are not read again
        # (the reading costs time between Vosk's final and the reply)
        if (words and not self.policy.has_ended(Turn.OPEN, self._silence(words))
                and self._kind(words) is Turn.OPEN):
            self._held = words
            self._feeding = feeding  # a pause: silence waits unfed, as between turns
            return []
        return self._end(heard)

    def _end(self, heard: list[Partial | Utterance]) -> list[Partial | Utterance]:
        """The turn is over: its words (held ones first) as one Utterance."""
        self._feeding = False
        words = self._held
        self._held = ()
        self._turns.clear()
        template: Utterance | None = None
        for item in heard:
            if isinstance(item, Utterance):
                words += item.words
                template = item
        if not words:
            return []
        return [_utterance(words, template)]


def _utterance(words: tuple[Word, ...], template: Utterance | None) -> Utterance:
    if template is not None and words == template.words:
        return template
    return Utterance(text=" ".join(w.word for w in words),
                     confidence=sum(w.conf for w in words) / len(words),
                     start=words[0].start, end=words[-1].end, words=words)


def conversation_turns(dialogue: Listener, kind_of: Callable[[str | None], Kind | None],
                       named: Callable[[str], bool],
                       clock: Callable[[], datetime]) -> Callable[[str], Turn]:
    """turn_of bound to one conversation: what TurnTaker asks of each stretch of words."""
    foreseen = _templates(dialogue)
    return lambda text: turn_of(text, dialogue, kind_of, named, clock(), foreseen)


def _templates(dialogue: object) -> Callable[[str, datetime], object | None] | None:
    """The conversation's understanding without the sentence model (a Dialogue's), or None
    when it has no sentence model (its understanding is then the templates' already)."""
    if getattr(dialogue, "meaning", None) is None:
        return None
    from voice_glimmers.understand.utterance import understand_said

    d: Any = dialogue

    def read(text: str, now: datetime) -> object | None:
        return understand_said(text, d.language.intents, d.wake, today=d.store.day_of(now),
                               week_start=d.settings.week_start)

    return read
