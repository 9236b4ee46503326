"""Error lines a person meets, through the real command line: each suggests what that
command can do, names what is really missing, and changes nothing it should not."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from voice_glimmers.app.doctor import check_crisis_message
from voice_glimmers.app.settings import Settings
from voice_glimmers.core.errors import GlimmersError

NOW = "2026-12-01T20:00:00+00:00"


def run(args, *, env=None, stdin=""):
    done = subprocess.run([sys.executable, "-m", "voice_glimmers", *args], input=stdin,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})
    assert "Traceback" not in done.stderr, done.stderr
    return done


def no_sound_server(tmp_path) -> dict[str, str]:
    return {"PULSE_SERVER": f"unix:{tmp_path / 'no-sound-server'}",
            "XDG_RUNTIME_DIR": str(tmp_path)}


@pytest.mark.parametrize("command", [["chat", "--speak"], ["reflect", "--speak"]])
def test_speaking_with_no_speaker_suggests_what_that_command_has(tmp_path, command):
    db = tmp_path / "g.json"
    run(["--db", str(db), "--now", NOW, "add", "warm tea"])
    done = run(["--db", str(db), "--now", NOW, *command], env=no_sound_server(tmp_path),
               stdin="glimmer the rain\n")
    if "voice-glimmers:" not in done.stderr:
        pytest.skip("a speaker answered here")
    assert "--no-speak" not in done.stderr  # chat and reflect have no such option
    assert "leave out --speak" in done.stderr
    assert len([line for line in done.stderr.splitlines() if line.strip()]) == 1


def test_listen_to_a_file_that_is_not_there_says_so_before_looking_for_a_model(tmp_path):
    done = run(["--db", str(tmp_path / "g.json"), "listen", "--input",
                str(tmp_path / "nothere.wav"), "--no-speak"],
               env={"VOICE_GLIMMERS_MODEL": str(tmp_path / "no-model")})
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"voice-glimmers: cannot read {tmp_path / 'nothere.wav'}: No such file or directory"]


def test_export_to_a_folder_that_is_not_there_creates_none(tmp_path):
    db = tmp_path / "g.json"
    run(["--db", str(db), "--now", NOW, "add", "warm tea"])
    missing = tmp_path / "nonexistent"
    done = run(["--db", str(db), "export", "-o", str(missing / "x.md")])
    assert done.returncode == 1
    assert "the folder does not exist" in done.stderr
    assert not missing.exists()


def test_doctor_says_the_crisis_line_needs_care_until_one_is_set(tmp_path):
    with pytest.raises(GlimmersError, match="crisis_message in .*config.toml"):
        check_crisis_message(Settings())
    own = Settings(crisis_message="Please call the Samaritans on 116 123 now.")
    assert check_crisis_message(own) == "your own message is used"
    env = {"VOICE_GLIMMERS_DB": str(tmp_path / "g.json"),
           "VOICE_GLIMMERS_MODEL": str(tmp_path / "no-model"), **no_sound_server(tmp_path)}
    done = run(["doctor"], env=env)
    line = next(line for line in done.stdout.splitlines() if "crisis line" in line)
    assert "needs care" in line and "crisis_message" in line
