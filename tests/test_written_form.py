"""Sentences as other speech-to-text engines write them: capitals, punctuation, digits.

Home Assistant's satellites send transcripts from whatever speech-to-text the person
chose ("Glimmer: the smell of rain.", "What were my glimmers 2 days ago?"). Every test
sentence that is understood as Vosk writes it must be understood the same way written
like that.
"""

from __future__ import annotations

import re

import pytest

from tests.test_intents import CASES, HELD_OUT, Case, _understood, loaded  # noqa: F401
from voice_glimmers.core.words import plain_words

_DIGITS = {"one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
           "seven": "7", "eight": "8", "nine": "9", "ten": "10", "twelve": "12",
           "fourteen": "14", "twenty": "20", "thirty": "30"}
_ORDINALS = {"first": "1st", "second": "2nd", "third": "3rd", "fourth": "4th", "fifth": "5th",
             "tenth": "10th", "twelfth": "12th", "fifteenth": "15th", "twentieth": "20th",
             "twenty first": "21st", "twenty second": "22nd", "twenty third": "23rd",
             "twenty fifth": "25th", "thirtieth": "30th", "thirty first": "31st"}
_QUESTION = ("what", "how", "when", "can", "could", "do", "did", "is", "are", "which", "have",
             "would", "will", "where", "who", "any")
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
           "september", "october", "november", "december", "monday", "tuesday", "wednesday",
           "thursday", "friday", "saturday", "sunday")


def written(text: str, *, digits: bool) -> str:
    """`text` as a speech-to-text engine with punctuation would write it."""
    if digits:
        for words, figure in sorted(_ORDINALS.items(), key=lambda kv: -len(kv[0])):
            text = re.sub(rf"\b{words}\b", figure, text)
        for word, figure in _DIGITS.items():
            text = re.sub(rf"\b{word}\b(?= (?:days?|weeks?|months?) ago| days| weeks)", figure,
                          text)
    text = re.sub(r"\b(i)\b", "I", text)
    text = re.sub(rf"\b({'|'.join(_MONTHS)})\b", lambda m: m.group(1).title(), text)
    text = re.sub(r"^(\w+ )?(glimmers?) (?!about|from|did|do|were|was|have|today|this|last)",
                  lambda m: (m.group(1) or "") + m.group(2) + ", ", text)
    end = "?" if text.split()[0] in _QUESTION else "."
    return text[:1].upper() + text[1:] + end


CHECKED = [c for c in CASES if c.file not in HELD_OUT]


def _same(case: Case, text: str, loaded) -> tuple:  # noqa: F811
    intent, slots = _understood(Case(case.language, case.file, text, case.intent, case.slots,
                                     case.today), loaded)
    return intent, {k: (plain_words(v) if isinstance(v, str) else v) for k, v in slots.items()}


@pytest.mark.parametrize("digits", [False, True], ids=["words", "digits"])
def test_written_like_other_engines(digits, loaded):  # noqa: F811
    differ = []
    for case in CHECKED:
        vosk = _same(case, case.text, loaded)
        if vosk[0] != case.intent:
            continue  # not understood even as Vosk writes it: test_intents reports it
        text = written(case.text, digits=digits and "when" in case.slots)  # a glimmer's own
        # words keep the figures as written ("the 1st coffee"), so only time words change
        got = _same(case, text, loaded)
        if got != vosk:
            differ.append(f"{text!r}: {got} (as Vosk writes it: {vosk})")
    assert not differ, f"{len(differ)} of {len(CHECKED)} differ:\n" + "\n".join(differ[:40])
