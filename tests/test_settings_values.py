"""Settings that would mean something nobody asked for: an empty wake word (acting on
every sentence in the room), or a wait that never ends (inf, 1e300, nan). Each is
refused in one line naming the setting; 'none' stays the way to act on everything."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from voice_glimmers.app.settings import load_settings
from voice_glimmers.core.errors import GlimmersError


def run(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "voice_glimmers", *args], capture_output=True,
                          text=True, env={**os.environ, **env}, timeout=60)


@pytest.mark.parametrize("setting, name", [
    ('wake_word = ""', "wake_word"),
    ("follow_up_seconds = inf", "follow_up_seconds"),
    ("follow_up_seconds = 1e300", "follow_up_seconds"),
    ("follow_up_seconds = nan", "follow_up_seconds"),
    ("question_timeout_seconds = inf", "question_timeout_seconds"),
    ("question_timeout_seconds = 1e300", "question_timeout_seconds"),
    ("question_timeout_seconds = -inf", "question_timeout_seconds"),
    ("short_silence_seconds = 0", "short_silence_seconds"),
    ("short_silence_seconds = nan", "short_silence_seconds"),
    ("short_silence_seconds = 6", "short_silence_seconds"),
    ("long_silence_seconds = inf", "long_silence_seconds"),
    ("long_silence_seconds = 0.2", "long_silence_seconds"),  # shorter than the short one
])
def test_a_setting_in_the_file_that_means_nothing_sensible_is_refused(tmp_path, setting, name):
    config = tmp_path / "config.toml"
    config.write_text(setting + "\n", encoding="utf-8")
    with pytest.raises(GlimmersError, match=f"The setting {name} "):
        load_settings(env={}, config_file=config)


@pytest.mark.parametrize("key, value, name", [
    ("VOICE_GLIMMERS_WAKE_WORD", "", "wake_word"),
    ("VOICE_GLIMMERS_WAKE_WORD", "  ", "wake_word"),
    ("VOICE_GLIMMERS_FOLLOW_UP_SECONDS", "inf", "follow_up_seconds"),
    ("VOICE_GLIMMERS_QUESTION_TIMEOUT_SECONDS", "1e300", "question_timeout_seconds"),
    ("VOICE_GLIMMERS_LONG_SILENCE_SECONDS", "11", "long_silence_seconds"),
])
def test_a_setting_from_the_environment_is_refused_the_same_way(key, value, name):
    with pytest.raises(GlimmersError, match=f"The setting {name} "):
        load_settings(env={key: value}, config_file=None)


def test_none_still_means_act_on_everything_and_an_hour_is_the_longest_wait():
    assert load_settings(env={"VOICE_GLIMMERS_WAKE_WORD": "none"}).wake_word is None
    assert load_settings(env={"VOICE_GLIMMERS_WAKE_WORD": "Off"}).wake_word is None
    settings = load_settings(env={"VOICE_GLIMMERS_FOLLOW_UP_SECONDS": "3600",
                                  "VOICE_GLIMMERS_QUESTION_TIMEOUT_SECONDS": "0"})
    assert (settings.follow_up_seconds, settings.question_timeout_seconds) == (3600.0, 0.0)
    settings = load_settings(env={"VOICE_GLIMMERS_SHORT_SILENCE_SECONDS": "0.4",
                                  "VOICE_GLIMMERS_LONG_SILENCE_SECONDS": "2.5"})
    assert (settings.short_silence_seconds, settings.long_silence_seconds) == (0.4, 2.5)


def test_every_command_says_it_in_one_line(tmp_path):
    done = run("--db", str(tmp_path / "g.json"), "list",
               env={"VOICE_GLIMMERS_FOLLOW_UP_SECONDS": "inf"})
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "follow_up_seconds" in done.stderr and "inf" in done.stderr


def test_an_empty_wake_word_on_the_command_line_is_refused_before_listening(tmp_path):
    done = run("listen", "--wake-word", "", "--input", str(tmp_path / "x.wav"), "--no-speak",
               "--db", str(tmp_path / "g.json"), env={})
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1, done.stderr
    assert "The setting wake_word should be a word, or 'none'" in done.stderr
