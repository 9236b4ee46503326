"""Every event voice-glimmers reports while it listens and speaks, as types.

`listen --events FILE` writes them one JSON object per line: `type` (the event's
`kind`), `t` (seconds since listening started) and the event's fields. The speakers
report Speaking, Spoken and SpeechFailed (their `t` is the monotonic moment); the
listening loop reports the rest. README's list of events is this module's.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, ClassVar


@dataclass(frozen=True)
class Event:
    kind: ClassVar[str] = "event"

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape: type, then the fields."""
        return {"type": self.kind, **{f.name: getattr(self, f.name) for f in fields(self)}}


@dataclass(frozen=True)
class Listening(Event):
    """Listening has started (wake_word None: everything heard is for the assistant)."""

    kind: ClassVar[str] = "listening"
    wake_word: str | None


@dataclass(frozen=True)
class Heard(Event):
    """Words heard so far in an utterance that has not ended."""

    kind: ClassVar[str] = "partial"
    text: str


@dataclass(frozen=True)
class Final(Event):
    """An utterance that has ended, with its confidence, times and words."""

    kind: ClassVar[str] = "final"
    text: str
    confidence: float
    start: float
    end: float
    words: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Understood(Event):
    """What an utterance meant: its intent and slots, or intent None."""

    kind: ClassVar[str] = "intent"
    text: str
    intent: str | None
    slots: dict[str, Any] | None = None
    score: float | None = None

    def to_dict(self) -> dict[str, Any]:
        if self.intent is None:
            return {"type": self.kind, "text": self.text, "intent": None}
        return super().to_dict()


@dataclass(frozen=True)
class Dropped(Event):
    """An utterance not meant for the assistant, let go (no words kept)."""

    kind: ClassVar[str] = "dropped"
    reason: str


@dataclass(frozen=True)
class Replied(Event):
    kind: ClassVar[str] = "reply"
    text: str
    intent: str | None
    saved: int | None
    ms_since_final: float | None


@dataclass(frozen=True)
class BargeIn(Event):
    """A plain "stop" while the assistant spoke: it stopped."""

    kind: ClassVar[str] = "barge_in"


@dataclass(frozen=True)
class Problem(Event):
    kind: ClassVar[str] = "problem"
    message: str


@dataclass(frozen=True)
class Stopped(Event):
    kind: ClassVar[str] = "stopped"


@dataclass(frozen=True)
class Speaking(Event):
    """A reply's first audio has started (t: the monotonic moment)."""

    kind: ClassVar[str] = "speaking"
    text: str
    t: float


@dataclass(frozen=True)
class Spoken(Event):
    """A reply's audio has ended, or was stopped (interrupted)."""

    kind: ClassVar[str] = "spoken"
    text: str
    t: float
    seconds: float
    interrupted: bool
    synth_ms: float


@dataclass(frozen=True)
class SpeechFailed(Event):
    kind: ClassVar[str] = "error"
    text: str
    t: float
    message: str


EVENTS: tuple[type[Event], ...] = (
    Listening, Heard, Final, Understood, Dropped, Replied, BargeIn, Problem, Stopped,
    Speaking, Spoken, SpeechFailed,
)
