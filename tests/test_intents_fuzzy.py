"""The fuzzy layer: word-level scores, the threshold and the margin between intents."""

from __future__ import annotations

import io
from datetime import date

import pytest

from voice_glimmers.language.intents import Intents
from voice_glimmers.understand.fuzzy import word_score
from voice_glimmers.understand.matcher import FUZZY_THRESHOLD, understand

FRIDAY = date(2026, 11, 27)

TWINS = """
language: en
intents:
  read_them:
    data:
      - sentences: ["read my glimmers slowly"]
  feed_them:
    data:
      - sentences: ["feed my glimmers slowly"]
  reflect:
    data:
      - sentences: ["lets reflect together now"]
"""


@pytest.mark.parametrize(
    ("said", "phrase", "low", "high"),
    [
        ("lets reflect", "lets reflect", 100, 100),
        ("lest reflect", "lets reflect", FUZZY_THRESHOLD, 99),  # transposed letters
        ("stop lissening", "stop listening", FUZZY_THRESHOLD, 99),
        ("please stop listening", "stop listening", FUZZY_THRESHOLD, 99),  # a light extra word
        ("stop the car", "stop the mic", 0, 70),  # most letters agree, one word does not
        ("turn on the lights", "turn on the mic", 0, 80),
        ("what did you say to him", "what did you say", 0, FUZZY_THRESHOLD - 1),
        ("", "help", 0, 0),
    ],
)
def test_word_score(said, phrase, low, high):
    score = word_score(said.split(), tuple(phrase.split()), frozenset({"please", "um"}))
    assert low <= score <= high


def test_near_misses_are_understood(english_intents):
    for said, intent in [("lest reflect", "reflect"), ("stop lissening", "pause_listening"),
                         ("how many glimers today", "count_glimmers")]:
        match = understand(said, english_intents, today=FRIDAY)
        assert match is not None and match.intent == intent, said
        assert FUZZY_THRESHOLD <= match.score < 100


def test_a_near_tie_between_intents_is_no_intent():
    twins = Intents.from_yaml(io.StringIO(TWINS))
    # "reed" is as close to "read" as "feed" is: no margin, so no intent.
    assert understand("reed my glimmers slowly", twins, today=FRIDAY) is None
    assert understand("read my glimmers slowly", twins, today=FRIDAY).intent == "read_them"
    # A short word dropped, nothing else near: understood, below 100.
    match = understand("lets reflect together", twins, today=FRIDAY)
    assert match.intent == "reflect" and match.score < 100


def test_capture_needs_the_word_glimmer_even_when_fuzzy(english_intents):
    for said in ["i have a climber", "heres a shimmer the sun", "save a dimmer for me",
                 "there was a glimmer of hope", "what is a glimmer"]:
        match = understand(said, english_intents, today=FRIDAY)
        assert match is None or match.intent != "capture_glimmer", said


@pytest.fixture(scope="module")
def english_intents() -> Intents:
    from pathlib import Path

    return Intents.from_dir(Path(__file__).resolve().parent.parent / "intents" / "en")
