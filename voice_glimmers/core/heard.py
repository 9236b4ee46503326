"""What the recogniser heard: words with their times, a partial result, a finished utterance."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Word:
    word: str
    conf: float
    start: float
    end: float


@dataclass(frozen=True)
class Partial:
    """The words heard so far in an utterance that has not ended yet."""

    text: str


@dataclass(frozen=True)
class Utterance:
    """One finished stretch of speech. Times are seconds of audio since the start."""

    text: str
    confidence: float
    start: float
    end: float
    words: tuple[Word, ...]
