"""Understanding speech: the test sentences in intents/<lang>/tests/ are data.

Each file lists utterances as Vosk transcribes them with the intent and slots
expected; one parametrised test runs them all, and one asserts the accuracy
thresholds over the whole set (held-out sentences included).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from voice_glimmers.core.days import DateRange
from voice_glimmers.language.intents import Intents
from voice_glimmers.language.registry import Registry
from voice_glimmers.understand.matcher import understand

ROOT = Path(__file__).resolve().parent.parent
REGISTRY = Registry.from_dir(ROOT / "intents")
# Written before tuning and never tuned on; misses there only count in test_thresholds.
HELD_OUT = frozenset({"heldout.yaml", "heldout_blind.yaml"})
LANGUAGES = sorted(p.name for p in (ROOT / "intents").iterdir() if (p / "sentences").is_dir())


@dataclass(frozen=True)
class Case:
    language: str
    file: str
    text: str
    intent: str | None
    slots: dict[str, Any]
    today: date


def _expected_slots(intent: str | None, slots: dict[str, Any], today: date) -> dict[str, Any]:
    expected = dict(slots)
    if "when" in expected:
        when = expected["when"]
        expected["when"] = DateRange(date.fromisoformat(str(when["start"])),
                                     date.fromisoformat(str(when["end"])), when.get("part"))
    elif intent in REGISTRY.with_time_range:
        expected["when"] = DateRange(today, today)
    return expected


def _cases() -> list[Case]:
    cases = []
    for language in LANGUAGES:
        for path in sorted((ROOT / "intents" / language / "tests").glob("*.yaml")):
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            today = date.fromisoformat(str(data["today"]))
            for group in data["tests"]:
                for sentence in group["sentences"]:
                    slots = _expected_slots(group["intent"], sentence.get("slots", {}), today)
                    cases.append(Case(language, path.name, sentence["text"], group["intent"],
                                      slots, today))
    return cases


CASES = _cases()


@pytest.fixture(scope="module")
def loaded() -> dict[str, Intents]:
    return {lang: Intents.from_dir(ROOT / "intents" / lang) for lang in LANGUAGES}


def _understood(case: Case, loaded: dict[str, Intents]):
    match = understand(case.text, loaded[case.language], today=case.today)
    return (match.intent, match.slots) if match else (None, {})


@pytest.mark.parametrize("case", CASES, ids=[f"{c.file}:{c.text}" for c in CASES])
def test_sentence(case: Case, loaded):
    """Every sentence is understood as written down; held-out misses only count below."""
    got = _understood(case, loaded)
    if case.intent != "capture_glimmer":
        assert got[0] != "capture_glimmer", "a false capture"
    expected = (case.intent, case.slots if case.intent else {})
    if case.file in HELD_OUT and got != expected:
        pytest.xfail(f"held out (counted in test_thresholds): understood {got}")
    assert got == expected


def test_thresholds(loaded, capsys):
    """>= 97% intents, >= 95% exact slots, no false captures; held-out reported alone."""
    per_file: dict[str, list[int]] = {}
    intent_ok = slots_ok = 0
    false_captures = []
    for case in CASES:
        intent, slots = _understood(case, loaded)
        right = intent == case.intent
        exact = right and (intent is None or slots == case.slots)
        intent_ok += right
        slots_ok += exact
        counts = per_file.setdefault(f"{case.language}/{case.file}", [0, 0, 0])
        counts[0] += right
        counts[1] += exact
        counts[2] += 1
        if intent == "capture_glimmer" and case.intent != "capture_glimmer":
            false_captures.append(case.text)
    total = len(CASES)
    with capsys.disabled():
        print()
        for name, (ok, exact, n) in sorted(per_file.items()):
            print(f"  {name:32} {n:4} sentences  intent {100 * ok / n:5.1f}%  "
                  f"exact {100 * exact / n:5.1f}%")
        print(f"  intents {100 * intent_ok / total:.1f}%, slots {100 * slots_ok / total:.1f}% "
              f"over {total} sentences")
    assert total >= 250
    assert sum(1 for c in CASES if c.intent is None) >= 40
    assert not false_captures
    assert intent_ok / total >= 0.97
    assert slots_ok / total >= 0.95
