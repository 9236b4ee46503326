"""The gate: which heard utterances are meant for the assistant.

Hands-free without false captures: an utterance is acted on when it holds the wake
word ("glimmer", also heard as "glimmers"), or comes within the follow-up window
after the assistant spoke (longer after a question), or when there is no wake word
at all (push-to-talk, a quiet room). Everything else is dropped and forgotten.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from voice_glimmers.core.words import plain_words
from voice_glimmers.understand.utterance import wake_forms

_BARGE_IN_WORDS = frozenset({"stop", "glimmer", "glimmers", "please", "okay", "ok", "now", "quiet"})


def is_barge_in(text: str) -> bool:
    """A short, explicit 'stop' that may interrupt the assistant while it speaks."""
    words = plain_words(text)
    return "stop" in words and len(words) <= 3 and set(words) <= _BARGE_IN_WORDS


@dataclass
class Gate:
    wake_word: str | None = "glimmer"
    follow_up_seconds: float = 6.0
    question_seconds: float = 20.0
    open_until: datetime | None = None

    def has_wake_word(self, text: str) -> bool:
        if self.wake_word is None:
            return True
        forms = wake_forms(self.wake_word)
        words = plain_words(text)
        if " " in next(iter(forms)):  # a wake phrase of several words
            joined = " " + " ".join(words) + " "
            return any(f" {form} " in joined for form in forms)
        return any(word in forms for word in words)

    def is_open(self, now: datetime) -> bool:
        return self.open_until is not None and now <= self.open_until

    def admits(self, text: str, now: datetime) -> bool:
        return self.has_wake_word(text) or self.is_open(now)

    def open_after_reply(self, now: datetime, *, question: bool) -> None:
        """Keep listening without the wake word for a little while after speaking."""
        seconds = self.question_seconds if question else self.follow_up_seconds
        self.open_until = now + timedelta(seconds=seconds)

    def close(self) -> None:
        self.open_until = None
