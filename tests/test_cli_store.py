"""The keyboard commands through the real command line: add, list, undo, delete, export, import."""

from __future__ import annotations

import json
import os
import resource
import stat
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from voice_glimmers.app.cli import main
from voice_glimmers.app.settings import Settings, intents_dir
from voice_glimmers.core.clock import PinnedClock
from voice_glimmers.core.errors import GlimmersError
from voice_glimmers.language.tags import TagVocabulary
from voice_glimmers.store.glimmer_store import GlimmerStore
from voice_glimmers.understand.tags import tags_of

NOW = "2026-11-27T20:30:00+00:00"
UTC = timezone.utc


@pytest.fixture
def db(tmp_path):
    return tmp_path / "data" / "glimmers.json"


@pytest.fixture
def cli(db, capsys):
    """Run voice-glimmers in this process with --db and a pinned --now; (exit code, out, err)."""

    def run(*args: str, now: str = NOW) -> tuple[int, str, str]:
        code = main(["--db", str(db), "--now", now, *args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def run_process(*args: str, env: dict | None = None, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "voice_glimmers", *args],
        capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=60, **kwargs,
    )


def test_add_then_list_today(cli):
    assert cli("add", "the smell of rain on the way home")[:2] == (
        0, "Saved (id 1): the smell of rain on the way home\n",
    )
    cli("add", "the cat purring", "--at", "2026-11-27T08:15:00+00:00")
    code, out, _ = cli("list")
    assert code == 0
    assert out == (
        "Friday 27 November 2026\n"
        "  2  08:15  the cat purring\n"
        "  1  20:30  the smell of rain on the way home\n"
    )


def test_add_at_a_day_word_means_noon_that_day(cli):
    code, out, _ = cli("add", "warm socks from the dryer", "--at", "yesterday")
    saved = "Saved for Thursday 26 November 2026 (id 1): warm socks from the dryer\n"
    assert (code, out) == (0, saved)
    listed = json.loads(cli("list", "yesterday", "--json")[1])
    assert listed[0]["created_at"] == "2026-11-26T12:00:00+00:00"
    assert cli("list")[1] == "Nothing saved today, and that's alright.\n"


def test_today_at_a_day_word_before_noon_is_now(cli):
    cli("add", "first light", "--at", "today", now="2026-11-27T07:10:00+00:00")
    listed = json.loads(cli("list", "--json", now="2026-11-27T07:10:00+00:00")[1])
    assert listed[0]["created_at"] == "2026-11-27T07:10:00+00:00"


def test_list_json_has_the_public_shape(cli):
    cli("add", "sun on my face")
    (entry,) = json.loads(cli("list", "--json")[1])
    assert entry == {
        "id": 1, "text": "sun on my face", "created_at": NOW, "day": "2026-11-27",
        "source": "text", "confidence": None, "tags": entry["tags"],
    }
    from voice_glimmers.app.context import load_senses
    from voice_glimmers.language.bundle import Language

    vocabulary = TagVocabulary.from_dir(intents_dir() / "en")
    language = Language.from_dir(intents_dir() / "en")  # add tags with the tags' model too
    assert entry["tags"] == list(tags_of("sun on my face", vocabulary, load_senses(language)))


def test_list_ranges_and_all(cli):
    cli("add", "last week's walk", "--at", "2026-11-18T10:00:00+00:00")
    cli("add", "this morning's tea", "--at", "2026-11-27T07:00:00+00:00")
    assert "last week's walk" in cli("list", "last", "week")[1]
    assert "this morning's tea" not in cli("list", "last", "week")[1]
    everything = cli("list", "all")[1]
    assert "Wednesday 18 November 2026" in everything and "Friday 27 November 2026" in everything
    assert cli("list", "2026-11-18")[1].count("last week's walk") == 1
    assert cli("list", "last", "month")[1] == "Nothing saved last month, and that's alright.\n"
    assert cli("list", "yesterday")[1] == "Nothing saved yesterday, and that's alright.\n"
    assert cli("list", "2026-11-20")[1] == (
        "Nothing saved on Friday 20 November 2026, and that's alright.\n"
    )


def test_list_all_when_empty_is_gentle(cli):
    assert cli("list", "all") == (
        0, "No glimmers saved yet. Whenever one comes along, it will be kept here.\n", "",
    )


def test_now_reaches_the_glimmer_day(cli):
    cli("add", "moonlight", now="2026-11-28T00:30:00+00:00")
    assert "moonlight" in cli("list", now="2026-11-27T22:00:00+00:00")[1]
    assert "moonlight" not in cli("list", now="2026-11-28T10:00:00+00:00")[1]


def test_global_options_before_or_after_the_command_and_from_env(db, capsys, monkeypatch):
    assert main(["add", "--db", str(db), "--now", NOW, "tea in the garden"]) == 0
    assert main(["--db", str(db), "--now", NOW, "list"]) == 0
    monkeypatch.setenv("VOICE_GLIMMERS_DB", str(db))
    monkeypatch.setenv("VOICE_GLIMMERS_NOW", NOW)
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert out.count("tea in the garden") == 3


def test_delete_and_undo(cli):
    cli("add", "the kettle singing")
    code, out, _ = cli("delete", "1")
    assert (code, out) == (
        0,
        "Deleted (id 1): the kettle singing\n"
        "'voice-glimmers undo' brings it back if you'd like it.\n",
    )
    assert cli("list")[1] == "Nothing saved today, and that's alright.\n"
    assert cli("undo")[1] == "Brought back (id 1): the kettle singing\n"
    assert "the kettle singing" in cli("list")[1]
    assert cli("undo")[1] == "There is nothing deleted to bring back.\n"


def test_edit_puts_new_words_in_a_glimmer_and_screens_them(cli, db):
    cli("add", "the black bird singing")
    code, out, _ = cli("edit", "1", "the blackbirds singing")
    assert (code, out) == (0, "Changed (id 1): the blackbirds singing\n"
                              "It said: the black bird singing\n")
    assert "the blackbirds singing" in cli("list")[1]
    code, out, err = cli("edit", "1", "i want to die")
    assert code == 1 and "reach out" in err and "(Glimmer 1 is unchanged.)" in err and out == ""
    assert "the blackbirds singing" in cli("list")[1]
    assert cli("edit", "2", "the rain")[0] == 1
    code, _, err = cli("edit", "one", "the rain")
    assert code == 1 and "not a glimmer id" in err


def test_edit_keeps_every_tag_and_adds_the_new_senses(cli, db):
    cli("add", "the smell of bread")
    with GlimmerStore.open(db) as store:
        store.change(1, tags=lambda had: (*had, "family", "home"))  # their own, one a sense's name
    assert cli("edit", "1", "birdsong at dawn")[0] == 0
    with GlimmerStore.open(db) as store:
        tags = store.get(1).tags
    assert {"family", "home", "sound"} <= set(tags)  # every tag stays; the new sense is added
    assert cli("edit", "\u0661", "the rain")[0] == 1  # an Arabic-Indic one is no id here


def test_export_of_a_part_of_a_day_holds_only_its_hours(cli):
    cli("add", "frost on the car", "--at", "2026-11-26T08:00")
    cli("add", "soup with my sister", "--at", "2026-11-26T19:30")
    out = cli("export", "--format", "md", "--when", "yesterday morning")[1]
    assert "frost on the car" in out and "soup" not in out


def test_list_takes_months_short_dates_and_parts_of_a_day(cli):
    cli("add", "frost on the car", "--at", "2026-11-26T08:00")
    cli("add", "soup with my sister", "--at", "2026-11-26T19:30")
    out = cli("list", "yesterday morning")[1]
    assert "frost on the car" in out and "soup" not in out
    assert "soup with my sister" in cli("list", "last night")[1]
    assert "frost on the car" in cli("list", "november")[1]
    assert cli("list", "october")[1] == "Nothing saved in October, and that's alright.\n"
    assert cli("list", "nov 20")[1] == (
        "Nothing saved on Friday 20 November 2026, and that's alright.\n")


def test_nul_in_text_is_refused(cli, db):
    code, out, err = cli("add", "a\x00b")
    assert code == 1 and out == "" and "NUL" in err
    assert not db.exists()


def make_tricky_glimmers(db: Path) -> None:
    """Glimmers that test the exports: commas, quotes, new lines, other scripts, offsets."""
    plus_five = timezone(timedelta(hours=5, minutes=30))
    with GlimmerStore.open(db) as store:
        store.add('a "quoted", comma\'d glimmer', at=datetime(2026, 11, 2, 8, 0, tzinfo=UTC))
        late = datetime(2026, 11, 3, 23, 59, 59, 123456, tzinfo=UTC)
        store.add("two lines\nof birdsong", at=late, source="voice", confidence=0.1 + 0.2,
                  tags=("sound", "nature"))
        early = datetime(2026, 11, 4, 1, 0, tzinfo=plus_five)
        store.add("chai with Amma ☕ — 日本語 too", at=early, tags=("people",))
        gone = store.add("deleted, never exported", at=datetime(2026, 11, 5, 9, 0, tzinfo=UTC))
        store.delete(gone.id, at=datetime(2026, 11, 5, 9, 1, tzinfo=UTC))
        store.add("a semicolon; inside", at=datetime(2026, 11, 6, 9, 0, tzinfo=UTC),
                  source="voice", confidence=1.0)


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_exports_round_trip_exactly(tmp_path, fmt):
    first_db, second_db = tmp_path / "one.json", tmp_path / "two.json"
    make_tricky_glimmers(first_db)
    first, second = tmp_path / f"first.{fmt}", tmp_path / f"second.{fmt}"
    assert main(["--db", str(first_db), "export", "--format", fmt, "-o", str(first)]) == 0
    assert main(["--db", str(second_db), "import", str(first)]) == 0
    assert main(["--db", str(second_db), "export", "--format", fmt, "-o", str(second)]) == 0
    assert first.read_bytes() == second.read_bytes()
    assert stat.S_IMODE(first.stat().st_mode) == 0o600
    assert b"deleted, never exported" not in first.read_bytes()
    with GlimmerStore.open(first_db) as one, GlimmerStore.open(second_db) as two:
        assert one.all() == two.all()


def test_json_export_is_what_list_json_prints(db, cli):
    make_tricky_glimmers(db)
    listed = cli("list", "all", "--json")[1]
    assert cli("export", "--format", "json")[1] == listed
    by_text = {entry["text"]: entry for entry in json.loads(listed)}
    assert by_text["two lines\nof birdsong"]["confidence"] == 0.1 + 0.2
    # 01:00 in +05:30 is still the glimmer day before, in the person's own time
    assert by_text["chai with Amma ☕ — 日本語 too"]["day"] == "2026-11-03"


def test_markdown_export_groups_by_day(db, cli):
    make_tricky_glimmers(db)
    out = cli("export", "--format", "md", "--when", "2026-11-02..2026-11-03")[1]
    assert out.startswith("# Glimmers\n\n## Monday 2 November 2026\n\n- 08:00 a \"quoted\"")
    assert (
        "## Tuesday 3 November 2026\n\n"
        "- 01:00 chai with Amma ☕ — 日本語 too *(people and connection)*\n"
        "- 23:59 two lines of birdsong *(sound, nature)*\n"
    ) in out
    assert "semicolon" not in out


def test_importing_twice_adds_nothing_new(db, tmp_path, cli):
    make_tricky_glimmers(db)
    export = tmp_path / "mine.csv"
    cli("export", "--format", "csv", "-o", str(export))
    code, out, _ = cli("import", str(export))
    assert (code, out) == (0, f"Added 0 glimmers from {export}; 4 were already here.\n")


def test_heavy_libraries_stay_unloaded_for_the_quick_commands(tmp_path):
    probe = (
        "import sys\n"
        "from voice_glimmers.app.cli import main\n"
        "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('vosk', 'sounddevice', 'numpy', 'pyttsx3') if m in sys.modules]\n"
        "sys.stderr.write('HEAVY=' + ','.join(heavy))\n"
    )
    db = str(tmp_path / "glimmers.json")
    # (add is not one of them: it screens the words with the sentence model, numpy and all)
    for args in (["--help"], ["--db", db, "list"], ["--db", db, "export", "--format", "json"]):
        done = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True)
        assert done.stderr.endswith("HEAVY="), (args, done.stderr)


# --- bad input: one line, a non-zero exit, never a traceback, never a damaged file -------------


def seeded(db: Path) -> bytes:
    with GlimmerStore.open(db) as store:
        store.add("already here", at=datetime(2026, 11, 26, 9, 0, tzinfo=UTC))
    return db.read_bytes()


def assert_one_clean_line(done: subprocess.CompletedProcess, *words: str) -> None:
    assert done.returncode != 0, done
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("voice-glimmers: ") and done.stderr.count("\n") == 1, done.stderr
    for word in words:
        assert word in done.stderr


@pytest.mark.parametrize(
    "args, words",
    [
        (["add", ""], ["empty"]),
        (["add", " \t "], ["empty"]),
        (["add", "x" * 2001], ["2,001", "2,000"]),
        (["add", "tea", "--at", "whenever"], ["whenever"]),
        (["add", "tea", "--at", "2030-01-01T10:00"], ["not happened yet"]),
        (["add", "tea", "--at", "2026-12-05"], ["'2026-12-05' has not happened yet"]),
        (["add", "tea", "--at", "2026-11-28"], ["'2026-11-28' has not happened yet"]),
        (["add", "tea", "--at", "last week"], ["more than one day"]),
        (["list", "someday", "maybe"], ["someday maybe"]),
        (["list", "2026-02-30"], ["not a real date"]),
        (["export", "--when", "the before times"], ["the before times"]),
        (["delete", "abc"], ["abc"]),
        (["delete", "42"], ["42"]),
        (["import", "no-such-file.json"], ["Cannot read no-such-file.json: there is no such file"]),
        (["--now", "teatime", "list"], ["teatime"]),
    ],
    ids=lambda v: "-".join(v)[:30] if isinstance(v, list) else None,
)
def test_bad_input_gets_one_line_and_the_file_is_untouched(db, args, words):
    before = seeded(db)
    assert_one_clean_line(run_process("--db", str(db), "--now", NOW, *args), *words)
    assert db.read_bytes() == before


@pytest.mark.parametrize(
    "setting, word",
    [
        ("day_start_hour = 24", "day_start_hour"),
        ("day_start_hour = -1", "day_start_hour"),
        ("week_start = 7", "week_start"),
        ("follow_up_seconds = -2.5", "follow_up_seconds"),
        ("question_timeout_seconds = nan", "question_timeout_seconds"),
        ("speech_rate = 5", "speech_rate"),
        ("speech_rate = 1000", "speech_rate"),
        ("speech_volume = 1.5", "speech_volume"),
        ("wake_word = ' '", "wake_word"),  # a blank wake word is refused: "none" says it
    ],
)
def test_a_setting_out_of_range_is_one_line_naming_it(db, tmp_path, setting, word):
    config = tmp_path / "config.toml"
    config.write_text(setting + "\n", encoding="utf-8")
    done = run_process("--db", str(db), "list", env={"VOICE_GLIMMERS_CONFIG": str(config)})
    if word is None:
        assert done.returncode == 0, done.stderr
        return
    assert_one_clean_line(done, word)
    assert not db.exists()


def test_a_setting_out_of_range_from_the_environment_is_one_line(db):
    done = run_process("--db", str(db), "list", env={"VOICE_GLIMMERS_DAY_START_HOUR": "25"})
    assert_one_clean_line(done, "day_start_hour", "25")
    with pytest.raises(GlimmersError, match="wake_word"):
        Settings(db_path=db, wake_word="  ")

@pytest.mark.parametrize("moment", ["0001-01-01T00:00", "0001-01-01T02:00+05:00"])
@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Asia/Tokyo"])
def test_a_moment_off_the_calendar_is_one_line(db, moment, zone):
    before = seeded(db)
    done = run_process("--db", str(db), "--now", moment, "list", env={"TZ": zone})
    assert_one_clean_line(done, moment, "too far")
    done = run_process("--db", str(db), "add", "tea", "--at", moment, env={"TZ": zone})
    assert_one_clean_line(done, moment)
    assert db.read_bytes() == before


def test_the_last_minute_of_the_calendar_still_works(db):
    done = run_process("--db", str(db), "--now", "9999-12-31T23:59", "add", "tea", "--at",
                       "9999-12-31T23:00", env={"TZ": "UTC"})
    assert done.returncode == 0, done.stderr
    done = run_process("--db", str(db), "--now", "9999-12-31T23:59", "list", env={"TZ": "UTC"})
    assert (done.returncode, done.stdout.count("tea")) == (0, 1), done.stderr
    done = run_process("--db", str(db), "--now", "9999-12-31T23:59", "list",
                       env={"TZ": "America/New_York"})
    assert_one_clean_line(done, "9999-12-31T23:59", "too far")

@pytest.mark.parametrize(
    "content, words",
    [
        ("this is not an export", ["neither"]),
        ('[{"id": 1, "text": "a\\u0000b", "created_at": "2026-11-27T10:00:00+00:00"}]', ["NUL"]),
        ('[{"id": 1, "text": "ok", "created_at": "yesterday"}]', ["entry 1"]),
        ('[{"id": 1, "created_at": "2026-11-27T10:00:00+00:00"}]', ["entry 1", "text"]),
        ("id,text,created_at\n1,fine,2026-11-27T10:00:00+00:00\n2,,2026-11-27T11:00:00+00:00\n",
         ["empty"]),
        ('[{"id": 1, "text": "ok", "created_at": "2026-11-27T10:00', ["not readable JSON"]),
    ],
    ids=["prose", "nul", "bad-date", "no-text", "csv-empty-row", "cut-json"],
)
def test_a_bad_import_file_adds_nothing(db, tmp_path, content, words):
    before = seeded(db)
    bad = tmp_path / "bad.json"
    bad.write_text(content, encoding="utf-8")
    assert_one_clean_line(run_process("--db", str(db), "import", str(bad)), *words)
    assert db.read_bytes() == before


def test_a_newer_database_is_refused_untouched(db):
    db.parent.mkdir(parents=True)
    db.write_text('{"_meta": {"1": {"schema": 7}}, "glimmers": {}}')
    before = db.read_bytes()
    for args in (["list"], ["add", "tea"]):
        assert_one_clean_line(run_process("--db", str(db), *args), "newer")
    assert db.read_bytes() == before


def test_a_damaged_database_without_backup_is_named_and_left_alone(db):
    db.parent.mkdir(parents=True)
    db.write_bytes(b'{"glimmers": {"1": ')
    assert_one_clean_line(run_process("--db", str(db), "add", "tea"), str(db), "no good backup")
    assert db.read_bytes() == b'{"glimmers": {"1": '


def test_a_damaged_database_is_restored_and_the_person_told(db):
    seeded(db)
    with GlimmerStore.open(db) as store:  # a second day, so the backup holds the first
        store.add("second", at=datetime(2026, 11, 27, 9, 0, tzinfo=UTC))
    db.write_text("{ oh no")
    done = run_process("--db", str(db), "--now", NOW, "list", "all")
    assert done.returncode == 0 and "Traceback" not in done.stderr
    assert "set it aside as" in done.stderr
    # named by the computer's own clock, not the pinned --now
    assert f".corrupt-{datetime.now():%Y%m%d}T" in done.stderr


def test_a_pinned_future_now_never_names_a_backup(db, capsys):
    real_today = datetime.now().date()
    yesterday = PinnedClock(datetime.now().astimezone() - timedelta(days=1))
    with GlimmerStore.open(db, clock=yesterday) as store:  # so today's backup holds it
        store.add("already here", at=datetime(2026, 11, 26, 9, 0, tzinfo=UTC))
    assert main(["--db", str(db), "--now", "9999-12-31T23:59", "add", "hi"]) == 0
    assert main(["--db", str(db), "add", "tea in the garden"]) == 0
    assert not list(db.parent.glob("*.backup-9999-12-31"))
    db.write_text("{ oh no")
    capsys.readouterr()
    assert main(["--db", str(db), "list", "all"]) == 0
    out, err = capsys.readouterr()
    assert f"the copy from {real_today:%A} {real_today.day} {real_today:%B %Y}" in err
    assert "already here" in out and "9999" not in err


def test_a_database_path_under_a_file_is_one_line(tmp_path):
    blocker = tmp_path / "notes.txt"
    blocker.write_text("")
    done = run_process("--db", str(blocker / "glimmers.json"), "list")
    assert_one_clean_line(done, "not a folder")


@pytest.fixture
def unwritable_folder(tmp_path):
    """A folder this process cannot write in: read-only tmpfs as root, chmod 0500 otherwise."""
    where = tmp_path / "locked"
    where.mkdir()
    if os.geteuid() != 0:
        where.chmod(0o500)
        yield where
        where.chmod(0o700)
        return
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(where)],
                          capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"root, but cannot mount a read-only tmpfs: {done.stderr.decode().strip()}")
    yield where
    subprocess.run(["umount", "--lazy", str(where)], check=True)


def test_an_unwritable_data_folder_is_one_line(unwritable_folder):
    db = unwritable_folder / "glimmers.json"
    assert_one_clean_line(run_process("--db", str(db), "add", "tea"), str(db))
    assert not db.exists()


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc")
def test_a_folder_where_no_file_can_be_made_is_said_at_once():
    started = datetime.now()
    done = run_process("--db", "/proc/no-glimmers-here", "undo")
    assert_one_clean_line(done, "/proc/no-glimmers-here", "cannot be made")
    assert "busy" not in done.stderr
    assert datetime.now() - started < timedelta(seconds=10)

def test_a_file_size_limit_mid_write_leaves_the_old_file(db):
    """The kernel refuses the write (RLIMIT_FSIZE, EFBIG): the same path a full disk takes."""
    before = seeded(db)
    limit = len(before) + 64

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    glimmer = ("the sun through the kitchen window while the kettle sang and my sister laughed "
               "on the phone about the dog chasing leaves in the garden all afternoon")
    done = run_process("--db", str(db), "add", glimmer, preexec_fn=small_files)
    assert_one_clean_line(done, "Nothing was changed")
    assert db.read_bytes() == before
    assert list(db.parent.glob(".*.tmp")) == []


def test_a_full_disk_through_the_command_line(tmp_path):
    where = tmp_path / "tiny"
    where.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=128k", "tmpfs", str(where)],
                             capture_output=True)
    if mounted.returncode != 0:
        pytest.skip("cannot mount a small tmpfs here")
    try:
        db = where / "glimmers.json"
        before = seeded(db)
        with open(where / "filler", "wb", buffering=0) as filler:
            try:
                while True:
                    filler.write(b"\0" * 1024)
            except OSError:
                pass
        done = run_process("--db", str(db), "add", "the warm bath and a good book " * 10)
        assert_one_clean_line(done, "disk is full")
        assert db.read_bytes() == before
    finally:
        subprocess.run(["umount", "--lazy", str(where)], check=True)
