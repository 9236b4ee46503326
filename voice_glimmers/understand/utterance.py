"""What was said, as words: the command after a wake word, an answer without its run-up.

Speech recognition gives lower-case words without punctuation; these helpers work on
that, and on typed text alike. They do no I/O and keep no state.
"""

from __future__ import annotations

import re
from datetime import date

from voice_glimmers.core.words import plain_words
from voice_glimmers.language.intents import Intents
from voice_glimmers.understand.matcher import Match, understand

_ANSWER_FILLERS = ("um", "uh", "er", "erm", "hmm", "hm", "mm", "so", "well", "okay", "ok", "oh")
_ANSWER_OPENERS = (("it", "was"), ("its",), ("it", "is"), ("there", "was"))


def wake_forms(wake_word: str) -> frozenset[str]:
    """The ways speech recognition writes the wake word: 'glimmer', 'glimmers', 'glimmer's'."""
    word = " ".join(plain_words(wake_word))
    return frozenset({word, word + "s", word + "es"})


def after_wake_word(text: str, wake_word: str | None) -> str:
    """The words after a leading wake word ('glimmer, what were...' -> 'what were...')."""
    words = plain_words(text)
    if words[:1] and words[0] in ("hey", "hi", "ok", "okay", "oh", "um", "uh"):
        words = words[1:]  # "hey glimmer, ..."
    for wake in {wake_word or "glimmer", "glimmer"}:
        for form in wake_forms(wake):
            size = len(form.split())
            if " ".join(words[:size]) == form and len(words) > size:
                return " ".join(words[size:])
    return ""


def understand_said(
    text: str, intents: Intents, *, today: date, week_start: int = 0,
    wake_word: str | None = "glimmer",
) -> Match | None:
    """What the words ask for, as the assistant acts on them. After a leading wake word,
    a command wins: 'glimmer, stop listening' pauses, and 'glimmer, i have a glimmer'
    asks what it was; neither is a glimmer whose words are 'stop listening'."""
    match = understand(text, intents, today=today, week_start=week_start)
    rest = after_wake_word(text, wake_word)
    if rest and (match is None or match.intent == "capture_glimmer"):
        command = understand(rest, intents, today=today, week_start=week_start)
        if command is not None and (
            command.intent != "capture_glimmer" or not command.slots.get("text")
        ):
            return command
        if match is None and _is_other_wake_word(wake_word):
            # Another wake word works as "glimmer" does: "sunshine, the moon" is a glimmer.
            return understand("glimmer " + rest, intents, today=today, week_start=week_start)
    if match is None and _is_other_wake_word(wake_word) and wake_word:
        heard = [w for w in plain_words(text) if w not in ("hey", "hi", "ok", "okay", "oh")]
        if heard == plain_words(wake_word):  # the wake word alone: "What was it?"
            return understand("glimmer", intents, today=today, week_start=week_start)
    return match


def _is_other_wake_word(wake_word: str | None) -> bool:
    return bool(wake_word) and " ".join(plain_words(wake_word or "")) != "glimmer"


def says_undo(text: str) -> bool:
    words = plain_words(text)
    return "undo" in words or "back" in words


def as_said(text: str) -> str:
    """Their words as they said them, closed with a full stop for speaking."""
    return text if text[-1:] in (".", "!", "?") else text + "."


def strip_answer(text: str) -> str:
    """'um it was the rain' -> 'the rain': the answer to 'What was it?' without its run-up."""
    words = text.split()
    while words and words[0].lower().strip(",.") in _ANSWER_FILLERS:
        words = words[1:]
    lowered = [w.lower().strip(",.'") for w in words]
    for opener in _ANSWER_OPENERS:
        if tuple(lowered[: len(opener)]) == opener and len(words) > len(opener):
            words = words[len(opener):]
            break
    return " ".join(words)


_THINKING = frozenset({"let me think", "let me see", "wait", "just a moment", "one moment",
                       "hang on", "give me a moment", "give me a second"})


def is_thinking(text: str) -> bool:
    """Someone still thinking ('hmm', 'let me think'): the question stays open."""
    words = plain_words(text)
    rest = [w for w in words if w not in _ANSWER_FILLERS and w not in ("hmmm", "mmm")]
    return bool(words) and (not rest or " ".join(rest) in _THINKING)


_LEAD_IN = re.compile(
    r"^\s*(?:please[\s,]+)?(?:(?:save|add|keep)(?:\s+this)?|here'?s\s+one|here\s+is\s+one)"
    r"[\s,:]+(?=\S)",
    re.IGNORECASE,
)


def strip_lead_in(text: str) -> str:
    """'please save the dog barking' -> 'the dog barking': the glimmer without the asking."""
    return _LEAD_IN.sub("", text, count=1)
