"""Paths that are not regular files: a device, a named pipe, a link, a folder.

Every file voice-glimmers writes for a person (an export, the garden, a spoken WAV,
the events log) and every file it reads for them (a recording, the settings, the
language files) must be a regular file: anything else is refused in one line, left
exactly as it was, and never waited on. The devices here are real ones made in a
temporary folder (as root), never the system's own /dev/null.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import time
import wave
from pathlib import Path

import pytest

from voice_glimmers.app.settings import intents_dir
from voice_glimmers.core.errors import Refused as NotAFile
from voice_glimmers.core.errors import TooLarge
from voice_glimmers.core.files import read_regular_file, refuse_special

NOW = "2026-11-27T20:30:00+00:00"


def run(*args: str, env: dict | None = None, stdin=None, timeout: float = 60,
        cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "voice_glimmers", *args], capture_output=True, text=True,
        env={**os.environ, **(env or {})}, timeout=timeout, stdin=stdin, cwd=cwd,
    )


def one_line(done: subprocess.CompletedProcess, *words: str) -> None:
    assert done.returncode == 1, done
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("voice-glimmers: ") and done.stderr.count("\n") == 1, done.stderr
    for word in words:
        assert word in done.stderr, done.stderr


def make(kind: str, path: Path) -> Path:
    """A real thing of `kind` at `path`: a character device like /dev/null, a named pipe,
    a link to /proc/self/fd/1 (the screen), or a folder."""
    if kind == "device":
        try:
            os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # what /dev/null is
        except PermissionError:
            pytest.skip("making a device needs root")
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "link":
        path.symlink_to("/proc/self/fd/1")
    else:
        path.mkdir()
    return path


def identity(path: Path) -> tuple:
    info = os.lstat(path)
    link = os.readlink(path) if stat.S_ISLNK(info.st_mode) else None
    return stat.S_IFMT(info.st_mode), info.st_ino, info.st_rdev, link


KINDS = ["device", "fifo", "link", "folder"]


@pytest.fixture
def db(tmp_path):
    db = tmp_path / "glimmers.json"
    done = run("--db", str(db), "--now", NOW, "add", "the smell of rain")
    assert done.returncode == 0, done.stderr
    return db


# --- writing: item 1 -----------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("command", [
    ["export", "--format", "md", "-o"],
    ["export", "--format", "therapy", "-o"],
    ["garden", "-o"],
])
def test_a_target_that_is_not_a_file_is_refused_and_left_as_it_is(tmp_path, db, kind, command):
    target = make(kind, tmp_path / "target")
    before = identity(target)
    done = run("--db", str(db), "--now", NOW, *command, str(target))
    one_line(done, str(target), "not a file", "left it as it is")
    assert identity(target) == before
    assert done.stdout == ""


@pytest.mark.parametrize("kind", KINDS)
def test_reflect_to_wav_refuses_a_target_that_is_not_a_file(tmp_path, db, kind):
    target = make(kind, tmp_path / "target.wav")
    before = identity(target)
    done = run("--db", str(db), "--now", NOW, "reflect", "--to-wav", str(target))
    one_line(done, str(target), "not a file")
    assert identity(target) == before
    assert done.stdout == ""  # refused before anything is said


def silent_wav(path: Path, seconds: float = 0.5) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(b"\0\0" * int(16000 * seconds))
    return path


@pytest.mark.parametrize("kind", ["device", "link"])
def test_listen_speak_to_refuses_a_target_that_is_not_a_file(tmp_path, kind):
    target = make(kind, tmp_path / "replies.wav")
    before = identity(target)
    done = run("listen", "--input", str(silent_wav(tmp_path / "in.wav")), "--speak-to",
               str(target), "--db", str(tmp_path / "g.json"), timeout=120)
    one_line(done, str(target), "not a file")
    assert identity(target) == before


def test_export_to_dash_is_the_screen(tmp_path, db):
    done = run("--db", str(db), "--now", NOW, "export", "--format", "json", "-o", "-",
               cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert '"text": "the smell of rain"' in done.stdout
    assert not (tmp_path / "-").exists()
    assert done.stderr == ""
    therapy = run("--db", str(db), "--now", NOW, "export", "--format", "therapy", "-o", "-",
                  cwd=tmp_path)
    assert therapy.returncode == 0 and "the smell of rain" in therapy.stdout
    assert not (tmp_path / "-").exists()


# --- reading: item 3 ---------------------------------------------------------------------


def test_reading_never_opens_a_pipe_or_a_device(tmp_path):
    pipe = make("fifo", tmp_path / "pipe")
    started = time.monotonic()
    with pytest.raises(NotAFile, match="is a named pipe, not a file"):
        read_regular_file(pipe, 1000)
    assert time.monotonic() - started < 1
    with pytest.raises(NotAFile, match="is a folder"):
        read_regular_file(tmp_path, 1000)
    link = tmp_path / "to-pipe"
    link.symlink_to(pipe)  # a link is followed for reading, and what it reaches judged
    with pytest.raises(NotAFile, match="named pipe"):
        read_regular_file(link, 1000)
    with pytest.raises(NotAFile, match="device"):
        read_regular_file(Path("/dev/zero"), 1000)


def test_reading_holds_no_more_than_the_limit(tmp_path):
    big = tmp_path / "big"
    with big.open("wb") as stream:
        stream.truncate(10_000_001)  # sparse: nothing to write, everything to read
    with pytest.raises(TooLarge, match="larger than I read .the most is 10 MB"):
        read_regular_file(big, 10_000_000)
    # /proc files claim a size of 0 and can be read on and on: still bounded
    with pytest.raises(TooLarge):
        read_regular_file(Path("/proc/self/maps"), 10)
    small = tmp_path / "small"
    small.write_bytes(b"tea")
    assert read_regular_file(small, 3) == b"tea"
    refuse_special(tmp_path / "not-there", writing=True)  # nothing there: fine to make


def test_listen_input_that_is_a_pipe_is_refused_before_the_model_loads(tmp_path):
    pipe = make("fifo", tmp_path / "speech.wav")
    events = tmp_path / "events.jsonl"
    started = time.monotonic()
    try:
        done = run("listen", "--input", str(pipe), "--no-speak", "--events", str(events),
                   "--db", str(tmp_path / "g.json"), timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail("listen waited on a named pipe given as --input")
    one_line(done, str(pipe), "named pipe")
    assert time.monotonic() - started < 10
    assert not events.exists() and not (tmp_path / "g.json").exists()


def test_listen_input_that_is_not_audio_is_said_before_the_model_loads(tmp_path):
    bad = tmp_path / "notes.wav"
    bad.write_text("not audio at all")
    done = run("listen", "--input", str(bad), "--no-speak", "--db", str(tmp_path / "g.json"),
               timeout=60)
    one_line(done, "notes.wav", "not a WAV file")  # nothing else: the model line never came
    assert not (tmp_path / "g.json").exists()


def copy_of_intents(tmp_path: Path) -> Path:
    folder = tmp_path / "intents"
    shutil.copytree(intents_dir(), folder)
    return folder


def test_replies_that_are_a_pipe_are_refused_not_waited_on(tmp_path):
    intents = copy_of_intents(tmp_path)
    replies = intents / "en" / "replies.yaml"
    replies.unlink()
    os.mkfifo(replies)
    try:
        done = run("chat", "--db", str(tmp_path / "g.json"),
                   env={"VOICE_GLIMMERS_INTENTS": str(intents)}, stdin=subprocess.DEVNULL,
                   timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail("chat waited on a named pipe as replies.yaml")
    one_line(done, "replies.yaml", "named pipe")


def test_a_huge_language_file_is_refused_before_it_is_read(tmp_path):
    intents = copy_of_intents(tmp_path)
    replies = intents / "en" / "replies.yaml"
    with replies.open("ab") as stream:
        stream.truncate(200_000_000)
    done = run("chat", "--db", str(tmp_path / "g.json"),
               env={"VOICE_GLIMMERS_INTENTS": str(intents)}, stdin=subprocess.DEVNULL)
    one_line(done, "replies.yaml", "larger than I read")


def test_settings_file_that_is_a_pipe_is_said_not_skipped_or_waited_on(tmp_path):
    config = tmp_path / "config" / "voice-glimmers"
    config.mkdir(parents=True)
    os.mkfifo(config / "config.toml")
    try:
        done = run("--db", str(tmp_path / "g.json"), "list",
                   env={"XDG_CONFIG_HOME": str(tmp_path / "config")}, timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail("waited on a named pipe as the settings file")
    one_line(done, "config.toml", "named pipe")
