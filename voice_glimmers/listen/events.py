"""What the listening loop tells the world: JSON-lines events and the terminal display.

Events (`--events FILE`, or `-` for stdout) are one JSON object per line (core.events
lists them: their `type`, `t` the seconds since the loop started, their fields). The
human display goes to stderr whenever the events go to stdout, so stdout carries
nothing else.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass, field
from typing import IO, Any

from voice_glimmers.core.events import Event


@dataclass
class EventLog:
    """Writes events as JSON lines; keeps nothing in memory."""

    stream: IO[str] | None
    started: float = field(default_factory=time.monotonic)

    def emit(self, event: Event, **extra: Any) -> dict[str, Any]:
        """One event as a JSON line: its type, `t` since listening started, its fields."""
        payload = event.to_dict()
        kind = payload.pop("type")
        payload.pop("t", None)  # a speaker's monotonic moment; `t` here is since the start
        record = {"type": kind, "t": round(time.monotonic() - self.started, 4), **payload,
                  **extra}
        if self.stream is not None:
            self.stream.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
            self.stream.flush()
        return record


@dataclass
class Display:
    """A calm, one-line-at-a-time view of what the assistant hears and says."""

    stream: IO[str] = field(default_factory=lambda: sys.stderr)
    show_words: bool = True  # False: what was heard and said is not written (a log keeps it)
    _partial_shown: bool = False

    def _clear_partial(self) -> None:
        if self._partial_shown:
            self.stream.write("\r\033[K" if self.stream.isatty() else "\n")
            self._partial_shown = False

    def partial(self, text: str) -> None:
        if not self.show_words or not self.stream.isatty():
            return
        self.stream.write(f"\r\033[K  … {text[-70:]}")
        self.stream.flush()
        self._partial_shown = True

    def line(self, label: str, text: str) -> None:
        self._clear_partial()
        self.stream.write(f"{label:>9}  {text}\n")
        self.stream.flush()

    def let_go(self) -> None:
        """What was half-shown of an utterance not meant for us goes from the screen."""
        if self._partial_shown:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self._partial_shown = False

    def words(self, label: str, text: str) -> None:
        """A line with a person's words (or a reply holding them): shown only when allowed."""
        self.line(label, text if self.show_words else f"({len(text.split())} words)")
