"""Input with no end in sight, and the cases that still said "something unexpected".

A line to `chat` or `understand`, an import file and a field in it are each bounded:
far more than anyone says or writes, refused early in one line with little memory.
Every case here once ended in a traceback's summary (exit 70); each now has its own
plain line, or simply works.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from voice_glimmers.app.settings import intents_dir

NOW = "2026-11-27T20:30:00+00:00"


def run(*args: str, env: dict | None = None, stdin=None, timeout: float = 60,
        ) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "voice_glimmers", *args], capture_output=True, text=True,
        env={**os.environ, **(env or {})}, timeout=timeout, stdin=stdin,
    )


def one_line(done: subprocess.CompletedProcess, *words: str) -> None:
    assert done.returncode == 1, done
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("voice-glimmers: ") and done.stderr.count("\n") == 1, done.stderr
    for word in words:
        assert word in done.stderr, done.stderr


def measured(args: list[str], stdin_path: Path, timeout: float) -> tuple[int, str, str, float, int]:
    """Run the CLI with stdin from a file: (exit code, stdout, stderr, seconds, its peak MB,
    from the kernel's own count for that one process)."""
    out_path, err_path = stdin_path.with_suffix(".out"), stdin_path.with_suffix(".err")
    with stdin_path.open("rb") as stdin, out_path.open("wb") as out, err_path.open("wb") as err:
        started = time.monotonic()
        child = subprocess.Popen([sys.executable, "-m", "voice_glimmers", *args], stdin=stdin,
                                 stdout=out, stderr=err)
    timer = threading.Timer(timeout, child.kill)
    timer.start()
    _, status, usage = os.wait4(child.pid, 0)
    timer.cancel()
    seconds = time.monotonic() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if seconds >= timeout:
        pytest.fail(f"{args[0]} took more than {timeout} s over one long line")
    return (child.returncode, out_path.read_text(encoding="utf-8"),
            err_path.read_text(encoding="utf-8"), seconds, usage.ru_maxrss // 1024)


def long_line(path: Path, size: int, then: str = "") -> Path:
    with path.open("w", encoding="utf-8") as stream:
        stream.write("glimmer ")
        chunk = "the smell of rain " * 1000
        written = 8
        while written < size:
            stream.write(chunk)
            written += len(chunk)
        stream.write("\n" + then)
    return path


def test_a_50_mb_line_to_chat_is_let_go_quickly_and_the_next_line_is_heard(tmp_path):
    db = tmp_path / "g.json"
    typed = long_line(tmp_path / "typed.txt", 50_000_000, then="glimmer warm tea\n")
    code, out, err, seconds, peak_mb = measured(["--db", str(db), "--now", NOW, "chat"], typed,
                                                timeout=120)
    assert code == 0, err
    assert err.count("\n") == 1 and "longer than 4,000 characters" in err, err
    assert "Saved: warm tea." in out
    assert "smell of rain" not in db.read_text(encoding="utf-8")
    assert seconds < 30
    assert peak_mb < 400


def test_a_long_line_to_understand_is_one_line_too(tmp_path):
    typed = long_line(tmp_path / "typed.txt", 5_000_000, then="glimmer warm tea\n")
    code, out, err, _, _ = measured(["understand"], typed, timeout=60)
    assert code == 0, err
    assert "longer than 4,000 characters" in err and err.count("\n") == 1
    assert out.count("\n") == 1 and "warm tea" in out


def test_an_import_file_over_the_limit_is_refused_before_it_is_read(tmp_path):
    huge = tmp_path / "huge.csv"
    with huge.open("wb") as stream:
        stream.write(b"id,text,created_at\n1,")
        stream.truncate(300_000_000)  # one line of 300 MB (sparse: nothing is written)
    started = time.monotonic()
    done = run("--db", str(tmp_path / "g.json"), "import", str(huge))
    one_line(done, "huge.csv", "larger than 32 MB", "nothing was imported")
    assert time.monotonic() - started < 15
    assert not (tmp_path / "g.json").exists()


def test_a_csv_field_over_the_csv_limit_is_named_by_its_row(tmp_path):
    bad = tmp_path / "g.csv"
    bad.write_text("id,text,created_at\n1,tea,2026-11-27T10:00:00+00:00\n"
                   f"2,{'a' * 140_000},2026-11-27T11:00:00+00:00\n", encoding="utf-8")
    one_line(run("--db", str(tmp_path / "g.json"), "import", str(bad)), "g.csv, row 3",
             "too long")


def test_a_long_text_in_an_import_is_named_by_its_row(tmp_path):
    bad = tmp_path / "g.csv"
    bad.write_text("id,text,created_at\n1,tea,2026-11-27T10:00:00+00:00\n"
                   f"2,{'a' * 3000},2026-11-27T11:00:00+00:00\n", encoding="utf-8")
    one_line(run("--db", str(tmp_path / "g.json"), "import", str(bad)), "g.csv, row 3",
             "3,000", "2,000")


def test_json_nested_100000_deep_is_one_line(tmp_path):
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    one_line(run("--db", str(tmp_path / "g.json"), "import", str(deep)), "deep.json",
             "nested too deeply")


# --- item 14: each its own plain line -------------------------------------------------------


def test_a_folder_as_the_database_is_said(tmp_path):
    one_line(run("--db", str(tmp_path), "list"), str(tmp_path), "is a folder", "glimmers.json")


def test_an_empty_db_option_is_said():
    one_line(run("--db", "", "list"), "--db needs a file name")


def test_a_db_path_of_home_is_said(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('db_path = "~"\n', encoding="utf-8")
    home = tmp_path / "home"
    home.mkdir()
    done = run("list", env={"VOICE_GLIMMERS_CONFIG": str(config), "HOME": str(home)})
    one_line(done, str(home), "is a folder")


def test_an_empty_db_variable_is_said():
    one_line(run("list", env={"VOICE_GLIMMERS_DB": ""}), "db_path", "VOICE_GLIMMERS_DB",
             "empty")


def test_a_binary_settings_file_is_said(tmp_path):
    config = tmp_path / "config.toml"
    config.write_bytes(bytes(range(256)) * 4)
    one_line(run("--db", str(tmp_path / "g.json"), "list",
                 env={"VOICE_GLIMMERS_CONFIG": str(config)}), str(config), "not text")


@pytest.mark.parametrize("broken", ["Saved: {text", "Saved: {txet}.", "Saved: {0}.",
                                    "Saved: {text.upper}."])
def test_a_broken_placeholder_in_replies_is_said_at_start_and_nothing_is_saved(tmp_path, broken):
    intents = tmp_path / "intents"
    shutil.copytree(intents_dir(), intents)
    replies = intents / "en" / "replies.yaml"
    text = replies.read_text(encoding="utf-8")
    assert '  saved: "Saved: {text}"' in text
    replies.write_text(text.replace('  saved: "Saved: {text}"', f"  saved: {json.dumps(broken)}"),
                       encoding="utf-8")
    db = tmp_path / "g.json"
    done = run("--db", str(db), "chat", env={"VOICE_GLIMMERS_INTENTS": str(intents)},
               stdin=open(os.devnull))  # noqa: SIM115
    one_line(done, "replies.yaml", "replies.saved")
    typed = tmp_path / "typed.txt"
    typed.write_text("glimmer warm tea\n", encoding="utf-8")
    with typed.open() as stdin:
        done = run("--db", str(db), "chat", env={"VOICE_GLIMMERS_INTENTS": str(intents)},
                   stdin=stdin)
    one_line(done, "replies.saved")
    assert not db.exists()  # refused before anything was kept


@pytest.mark.parametrize("now, shown", [("9999-12-31T23:59", "December 9999"),
                                        ("0001-01-02T12:00", "January 1")])
def test_a_garden_at_the_ends_of_the_calendar_is_written(tmp_path, now, shown):
    page = tmp_path / "garden.html"
    done = run("--db", str(tmp_path / "g.json"), "--now", now, "garden", "-o", str(page),
               env={"TZ": "UTC"})
    assert done.returncode == 0, done.stderr
    assert shown in page.read_text(encoding="utf-8")
    done = run("--db", str(tmp_path / "g.json"), "--now", now, "export", "--format", "therapy",
               env={"TZ": "UTC"})
    assert done.returncode == 0, done.stderr
