"""The seams between stages, defined once: the devices and the store, as protocols.

Each has a real version (voice/, store/) and a memory or file version for tests
(voice.audio.WavSource, voice.speakers.PrintSpeaker, the store over MemoryStorage).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime
from typing import Protocol

from voice_glimmers.core.glimmer import Glimmer
from voice_glimmers.core.heard import Partial, Utterance


class AudioSource(Protocol):
    """16 kHz 16-bit mono PCM, in frames of about 0.1 s. An empty frame is a break: the
    sound stopped and started again (a microphone that came back), so speech before it
    is never joined to speech after it."""

    def frames(self) -> Iterator[bytes]: ...

    def close(self) -> None: ...


class Transcriber(Protocol):
    """Frames in; what was heard so far (Partial) and what was said (Utterance) out."""

    def accept(self, frame: bytes) -> list[Partial | Utterance]: ...

    def flush(self) -> list[Partial | Utterance]: ...

    def reset(self) -> None: ...


class Speaker(Protocol):
    def say(self, text: str) -> None: ...  # queue a reply; returns at once

    def pause(self, seconds: float) -> None: ...  # queue a quiet moment after what is queued

    def stop(self) -> None: ...  # stop speaking now and drop anything queued

    def is_speaking(self) -> bool: ...  # from say() until the audio ends, plus a short tail

    def wait(self, timeout: float | None = None) -> bool: ...  # until all is spoken

    def close(self) -> None: ...


class Store(Protocol):
    """What the dialogue needs of the glimmer store (store.GlimmerStore is the real one)."""

    def day_of(self, moment: datetime) -> date: ...

    def between(self, start: date, end: date) -> list[Glimmer]: ...

    def all(self) -> list[Glimmer]: ...

    def get(self, glimmer_id: int) -> Glimmer | None: ...

    def last(self) -> Glimmer | None: ...

    def search(self, query: str) -> list[Glimmer]: ...

    def add(self, text: str, *, at: datetime, source: str = "text",
            confidence: float | None = None, tags: tuple[str, ...] = ()) -> Glimmer: ...

    def delete(self, glimmer_id: int, *, at: datetime) -> Glimmer: ...

    def undo(self, glimmer_id: int | None = None) -> Glimmer | None: ...

    def change(self, glimmer_id: int, *, text: str | None = None,
               tags: Callable[[tuple[str, ...]], tuple[str, ...]] | None = None,
               expect: str | None = None) -> Glimmer: ...


class Senses(Protocol):
    """How likely a glimmer touches each tag, by its meaning (encoder.tagger.Senses), and
    per tag the (alone, with its words) probabilities from which a tag is given."""

    @property
    def thresholds(self) -> Mapping[str, tuple[float, float]]: ...

    def of(self, texts: list[str]) -> list[dict[str, float]]: ...


class Likeness(Protocol):
    """How like each kind of labelled example a sentence is (encoder.nearest.Nearest)."""

    def scores(self, text: str) -> dict[str, float]: ...

    def scores_of(self, texts: list[str]) -> list[dict[str, float]]: ...
