"""Hand-written stand-ins for the loop's devices, driven by audio time.

They exercise the logic around the real parts (gate, dialogue, speaker timing);
the real parts themselves are tested with Vosk, PulseAudio and espeak-ng.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from voice_glimmers.core.heard import Utterance

FRAME_SECONDS = 0.1


@dataclass
class AudioClock:
    """Wall time that moves with the audio: start + seconds of audio fed so far."""

    start: datetime
    seconds: float = 0.0

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=self.seconds)


@dataclass
class SilenceSource:
    """`seconds` of silent 0.1 s frames, a little faster than real time."""

    seconds: float
    pace: float = 0.004  # wall seconds per frame
    _closed: threading.Event = field(default_factory=threading.Event)

    def frames(self):
        for _ in range(round(self.seconds / FRAME_SECONDS)):
            if self._closed.is_set():
                return
            time.sleep(self.pace)
            yield bytes(3200)

    def close(self) -> None:
        self._closed.set()


@dataclass
class ScriptedTranscriber:
    """Yields scripted final transcripts at given audio times: [(seconds, text[, confidence])]."""

    script: list[tuple]
    clock: AudioClock
    resets: int = 0

    def __post_init__(self) -> None:
        self._pending = sorted(self.script, key=lambda item: item[0])

    def accept(self, frame: bytes) -> list:
        self.clock.seconds += len(frame) / 32000
        out = []
        while self._pending and self._pending[0][0] <= self.clock.seconds:
            at, text, *conf = self._pending.pop(0)
            out.append(Utterance(text=text, confidence=conf[0] if conf else 1.0,
                                 start=max(0.0, at - 1.0), end=at, words=()))
        return out

    def flush(self) -> list:
        return []

    def reset(self) -> None:
        self.resets += 1


@dataclass
class TimedSpeaker:
    """Speaks for 0.06 s of audio time per character; records what it said."""

    clock: AudioClock
    tail_seconds: float = 0.4
    said: list[str] = field(default_factory=list)
    pauses: list[float] = field(default_factory=list)
    stops: int = 0
    _until: datetime | None = None

    def say(self, text: str) -> None:
        now = self.clock()
        start = max(now, self._until) if self._until else now
        self._until = start + timedelta(seconds=0.06 * len(text))
        self.said.append(text)

    def pause(self, seconds: float) -> None:
        now = self.clock()
        start = max(now, self._until) if self._until else now
        self._until = start + timedelta(seconds=seconds)
        self.pauses.append(seconds)

    def stop(self) -> None:
        self.stops += 1
        self._until = self.clock()

    def is_speaking(self) -> bool:
        return self._until is not None and self.clock() < self._until + timedelta(
            seconds=self.tail_seconds)

    def wait(self, timeout: float | None = None) -> bool:
        return True

    def close(self) -> None:
        pass
