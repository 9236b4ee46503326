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
from voice_glimmers.language.lexicon import Lexicon
from voice_glimmers.understand.wake import WakeWord


def is_barge_in(text: str, lexicon: Lexicon, wake: WakeWord) -> bool:
    """A short, explicit 'stop' that may interrupt the assistant while it speaks."""
    words = set(plain_words(text))
    allowed = lexicon.barge_in | lexicon.barge_in_with | wake.words
    return (not lexicon.barge_in.isdisjoint(words) and len(plain_words(text)) <= 3
            and words <= allowed)


@dataclass
class Gate:
    wake: WakeWord
    follow_up_seconds: float = 6.0
    question_seconds: float = 20.0
    open_until: datetime | None = None

    @property
    def wake_word(self) -> str | None:
        return self.wake.chosen

    def has_wake_word(self, text: str) -> bool:
        return self.wake.is_heard_in(text)

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
