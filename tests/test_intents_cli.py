"""`voice-glimmers understand`, run as a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FRIDAY_EVENING = "2026-11-27T20:30"


def run(*args: str, stdin: bytes = b"", env: dict[str, str] | None = None):
    return subprocess.run(
        [sys.executable, "-m", "voice_glimmers", "understand", *args],
        input=stdin, capture_output=True, timeout=60, cwd=ROOT,
        env={**os.environ, **(env or {})},
    )


def test_json_lines_in_order_empty_and_broken_lines_included():
    lines = [
        "what were my glimmers last week",
        "",
        "Glimmer, the smell of rain!",
        "turn on the lights",
        "   ",
        "how many glimmers ever",
    ]
    stdin = ("\n".join(lines) + "\n").encode() + b"\xff\xfe not utf-8\r\nstop\n"
    done = run("--json", "--now", FRIDAY_EVENING, stdin=stdin)
    assert done.returncode == 0, done.stderr
    assert done.stderr == b""
    shown = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert [s["text"] for s in shown] == [*lines, "\ufffd\ufffd not utf-8", "stop"]
    assert [s["intent"] for s in shown] == [
        "list_glimmers", None, "capture_glimmer", None, None, "count_glimmers", None, "cancel"]
    assert shown[0]["slots"] == {"when": {"start": "2026-11-16", "end": "2026-11-22"}}
    assert shown[0]["score"] == 100.0
    assert shown[1] == {"text": "", "intent": None, "slots": {}, "score": 0}
    assert shown[2]["slots"] == {"text": "the smell of rain"}
    assert shown[5]["slots"]["when"] == {"start": "0001-01-01", "end": "2026-11-27"}


def test_words_as_one_sentence_readable():
    done = run("what", "did", "i", "save", "yesterday", "--now", FRIDAY_EVENING)
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode() == (
        "'what did i save yesterday' -> list_glimmers when=2026-11-26..2026-11-26 (score 100)\n")


def test_time_words_follow_the_glimmer_day_and_week_start():
    # 01:30 on Saturday still belongs to Friday's glimmer day (days start at 04:00).
    done = run("--json", "--now", "2026-11-28T01:30", "what were my glimmers today")
    assert json.loads(done.stdout)["slots"]["when"] == {"start": "2026-11-27", "end": "2026-11-27"}
    done = run("--json", "--now", FRIDAY_EVENING, "how many glimmers this week",
               env={"VOICE_GLIMMERS_WEEK_START": "6"})
    assert json.loads(done.stdout)["slots"]["when"] == {"start": "2026-11-22", "end": "2026-11-27"}


def test_bad_now_is_one_line_not_a_traceback():
    done = run("--now", "tomorrowish", "help")
    assert done.returncode == 1
    assert done.stdout == b""
    err = done.stderr.decode()
    assert err.startswith("voice-glimmers: ") and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
