"""`voice-glimmers garden` and `export --format therapy` on a real database file."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from voice_glimmers.app.cli import main
from voice_glimmers.store.glimmer_store import GlimmerStore

NOW = "2026-11-27T20:30:00+00:00"
UTC = timezone.utc


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "glimmers.json"
    moment = datetime(2026, 11, 27, 20, 30, tzinfo=UTC)
    with GlimmerStore.open(path) as store:
        store.add("the smell of rain", at=moment - timedelta(days=1), tags=("smell", "weather"))
        store.add("my sister's laugh & a <script>x</script>", at=moment, tags=("people",))
        # 00:30 on the 27th: the glimmer day of the 26th
        store.add("warm socks", at=datetime(2026, 11, 27, 0, 30, tzinfo=UTC), tags=("touch",))
        store.add("long ago, the first one", at=moment - timedelta(days=200))
    return path


def run(db, *args):
    return main(["--db", str(db), "--now", NOW, *args])


def test_garden_writes_the_default_file_here_and_says_where(db, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert run(db, "garden") == 0
    page = (tmp_path / "glimmer-garden.html").read_text(encoding="utf-8")
    assert capsys.readouterr().out == (
        f"Your glimmer garden is at {tmp_path / 'glimmer-garden.html'}\n")
    assert "my sister&#x27;s laugh &amp; a &lt;script&gt;x&lt;/script&gt;" in page
    assert 'aria-label="Thursday 26 November: 2 glimmers"' in page
    # of the last 12 weeks, from the first glimmer in them: no weeks of empty days before it
    assert "Thursday 26 November 2026 to Friday 27 November 2026" in page
    assert "long ago" not in page
    assert not list(tmp_path.glob(".glimmer-garden.html*"))  # no temp file left behind


def test_garden_when_and_output(db, tmp_path, capsys):
    out = tmp_path / "garden" / "all.html"
    out.parent.mkdir()
    out.write_text("an older page", encoding="utf-8")
    assert run(db, "garden", "--when", "all", "-o", str(out)) == 0
    page = out.read_text(encoding="utf-8")
    assert "long ago, the first one" in page
    assert "Monday 11 May 2026 to Friday 27 November 2026" in page  # from the first glimmer
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert run(db, "garden", "--when", "yesterday", "-o", str(out)) == 0
    page = out.read_text(encoding="utf-8")
    assert "warm socks" in page and "the smell of rain" in page and "my sister" not in page


@pytest.mark.parametrize("args, words", [
    (["garden", "--when", "purple elephants"], "'purple elephants' does not name days"),
    (["export", "--format", "therapy", "--when", "purple"], "'purple' does not name days"),
    (["garden", "-o", "/nonexistent-folder/g.html"], "Cannot write /nonexistent-folder/g.html"),
    (["export", "--format", "therapy", "-o", "/"], "Cannot write /"),
])
def test_bad_input_is_one_line_and_writes_nothing(db, tmp_path, monkeypatch, capsys, args, words):
    monkeypatch.chdir(tmp_path)
    before = db.read_bytes()
    assert run(db, *args) == 1
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and words in captured.err
    assert "Traceback" not in captured.err
    assert captured.out == ""
    assert not (tmp_path / "glimmer-garden.html").exists()
    assert db.read_bytes() == before


def test_garden_open_hands_the_page_to_the_browser(db, tmp_path):
    seen = tmp_path / "opened.txt"
    browser = tmp_path / "browser.sh"
    browser.write_text(f'#!/bin/sh\nprintf "%s" "$1" > "{seen}"\n', encoding="utf-8")
    browser.chmod(0o755)
    env = {**os.environ, "BROWSER": f"{browser} %s"}
    result = subprocess.run(
        [sys.executable, "-m", "voice_glimmers", "--db", str(db), "--now", NOW, "garden",
         "--open", "-o", str(tmp_path / "g.html")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert seen.read_text() == (tmp_path / "g.html").as_uri()


def test_therapy_export_to_screen_and_file(db, tmp_path, capsys):
    assert run(db, "export", "--format", "therapy") == 0
    text = capsys.readouterr().out
    assert text.startswith("# Glimmers, 26 November 2026 to 27 November 2026\n")
    assert "- Glimmers saved: 3, on 2 days" in text
    assert "people and connection (1)" in text
    assert r"- 20:30: my sister's laugh \& a \<script\>x\</script\> *(people and connection)*" \
        in text
    # within a day as it went, as the Markdown export: half past midnight is its latest
    assert ("### Thursday 26 November 2026\n\n- 20:30: the smell of rain *(smell, weather)*\n"
            "- 00:30: warm socks *(touch)*\n") in text
    out = tmp_path / "summary.md"
    assert run(db, "export", "--format", "therapy", "--when", "all", "-o", str(out)) == 0
    assert capsys.readouterr().out == f"Your therapy summary is at {out}\n"
    written = out.read_text(encoding="utf-8")
    assert "- Glimmers saved: 4, on 3 days" in written
    assert "# Glimmers, 11 May 2026 to 27 November 2026" in written


def test_empty_database_gets_a_kind_page(tmp_path, capsys):
    out = tmp_path / "g.html"
    assert run(tmp_path / "new.json", "garden", "-o", str(out)) == 0
    assert "No glimmers were saved on these days, and that&#x27;s alright." in out.read_text()
    assert run(tmp_path / "new.json", "export", "--format", "therapy") == 0
    summary = capsys.readouterr().out
    assert "none on these days" in summary and "These were noticed" not in summary


def test_help_names_the_default_file(capsys):
    with pytest.raises(SystemExit):
        main(["garden", "--help"])
    assert "glimmer-garden.html" in capsys.readouterr().out


def test_paths_are_absolute_in_messages(db, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert run(db, "garden", "-o", "rel.html") == 0
    assert capsys.readouterr().out.strip().endswith(str(Path(tmp_path, "rel.html")))
