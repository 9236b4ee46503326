"""`chat` as a person types it, through the real command line: a greeting at a keyboard
that says how to leave, and quit, exit or bye leave."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time

NOW = "2026-12-01T10:00:00+00:00"


def run(args, *, stdin="", db=None):
    cmd = [sys.executable, "-m", "voice_glimmers", *(["--db", str(db)] if db else []), *args]
    done = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    return done


def test_quit_exit_and_bye_leave_and_nothing_after_them_is_read(tmp_path):
    db = tmp_path / "glimmers.json"
    for word in ("quit", "exit", "bye", "Bye!", "glimmer goodbye"):
        done = run(["chat", "--now", NOW], db=db,
                   stdin=f"glimmer warm bread\n{word}\nglimmer the rain\n")
        assert done.stdout.splitlines()[-1] == "Take care.", word
        assert "the rain" not in done.stdout, word
    listed = json.loads(run(["list", "--json", "--now", NOW], db=db).stdout)
    assert {g["text"] for g in listed} == {"warm bread"}  # the same words, asked after that


def test_a_word_that_only_starts_like_leaving_is_no_leaving(tmp_path):
    done = run(["chat", "--now", NOW], db=tmp_path / "g.json",
               stdin="glimmer the exit sign glowing green in the rain\n")
    assert done.stdout.splitlines() == ["Saved: the exit sign glowing green in the rain."]


def _read_until(fd: int, wanted: bytes, timeout: float = 60.0) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout
    while wanted not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                seen += os.read(fd, 4096)
            except OSError:  # the other end closed
                break
    return seen


def test_at_a_keyboard_chat_greets_in_one_line_that_says_how_to_leave(tmp_path):
    main, side = pty.openpty()
    cmd = [sys.executable, "-m", "voice_glimmers", "--db", str(tmp_path / "g.json"),
           "--now", NOW, "chat"]
    proc = subprocess.Popen(cmd, stdin=side, stdout=side, stderr=side, close_fds=True)
    os.close(side)
    try:
        opening = _read_until(main, b"you: ")
        lines = [line for line in opening.decode().splitlines() if line.strip()]
        assert lines[0] == ("Hello. Type a glimmer in your own words, or 'help' for ideas; "
                            "'bye' leaves.")
        assert lines[1] == "you: "
        os.write(main, b"bye\n")
        assert b"Take care." in _read_until(main, b"Take care.")
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(main)
