"""The glimmer file among other things on a disk: devices, pipes, links, loose permissions,
damaged records, checksums, and temps that belong to someone else.

Real files, real FIFOs and sockets, real links, and the real command line in a subprocess
wherever a hang or a replaced file is what could go wrong (every one has a timeout).
"""

from __future__ import annotations

import json
import os
import random
import re
import resource
import shutil
import socket
import stat
import subprocess
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from voice_glimmers.core.clock import PinnedClock
from voice_glimmers.core.errors import GlimmersError, StoreCorrupt, StoreError
from voice_glimmers.store.dbfile import backups_of
from voice_glimmers.store.glimmer_store import GlimmerStore

UTC = timezone.utc
NOW = "2026-11-27T20:30:00+00:00"
EVENING = datetime(2026, 11, 27, 20, 30, tzinfo=UTC)
IS_ROOT = os.geteuid() == 0
NOBODY = 65534


def run(*args: str, timeout: float = 60, memory_mb: int | None = None
        ) -> subprocess.CompletedProcess:
    """The real command line, which must end by itself well within `timeout` (and, with
    `memory_mb`, within that much memory)."""

    def limited() -> None:
        if memory_mb is not None:
            resource.setrlimit(resource.RLIMIT_AS, (memory_mb << 20, memory_mb << 20))

    return subprocess.run([sys.executable, "-m", "voice_glimmers", *args],
                          capture_output=True, text=True, timeout=timeout, preexec_fn=limited,
                          env={**os.environ, "PYTHONUNBUFFERED": "1"})


def one_line(done: subprocess.CompletedProcess, *words: str) -> str:
    assert done.returncode == 1, done
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("voice-glimmers: ") and done.stderr.count("\n") == 1, done.stderr
    for word in words:
        assert word in done.stderr, done.stderr
    return done.stderr


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def on_day(day: date) -> PinnedClock:
    return PinnedClock(datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=20))


def fill(db: Path, days: int, first: date = date(2026, 11, 1)) -> None:
    """Two glimmers a day for `days` days; each day's first change makes a backup."""
    for n in range(days):
        clock = on_day(first + timedelta(days=n))
        with GlimmerStore.open(db, clock=clock) as store:
            for k in range(2):
                store.add(f"day {n} glimmer {k}", at=clock())


def hand_written(db: Path, records: dict[str, dict]) -> None:
    """A file as a person might leave it after editing by hand (no checksum)."""
    db.parent.mkdir(parents=True, exist_ok=True)
    db.write_text(json.dumps({"_meta": {"1": {"schema": 1}}, "glimmers": records}),
                  encoding="utf-8")
    db.chmod(0o600)


def record(text, day: str = "2026-11-27", hour: int = 9, **changes) -> dict:
    doc = {"text": text, "created_at": f"{day}T{hour:02d}:00:00+00:00", "day": day,
           "source": "text", "tags": []}
    doc.update(changes)
    return {k: v for k, v in doc.items() if v is not ...}


def names(line: str, key: str) -> bool:
    """Whether a line says that the glimmer under `key` is damaged."""
    return re.search(rf"Glimmers? (.*, )?{re.escape(key)}\b.* damaged", line) is not None


def kind_of(path: Path) -> str:
    found = path.lstat().st_mode
    for test, name in ((stat.S_ISREG, "file"), (stat.S_ISDIR, "folder"), (stat.S_ISFIFO, "fifo"),
                       (stat.S_ISSOCK, "socket"), (stat.S_ISCHR, "device"), (stat.S_ISLNK, "link")):
        if test(found):
            return name
    return "other"


# --- 1 and 3: a database or backup that is not a regular file ---------------------------


@pytest.fixture(params=["device", "fifo", "socket", "folder"])
def not_a_file(request, tmp_path):
    """Something at the database's path that is not a regular file. The device is our own
    node of /dev/null (1, 3), so a store that replaced it would harm nothing real."""
    where = tmp_path / "glimmers.json"
    held = None
    if request.param == "device":
        if not IS_ROOT:
            pytest.skip("making a device node needs root")
        os.mknod(where, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    elif request.param == "fifo":
        os.mkfifo(where, 0o600)
    elif request.param == "socket":
        held = socket.socket(socket.AF_UNIX)
        held.bind(str(where))
    else:
        where.mkdir()
    yield request.param, where
    if held is not None:
        held.close()


@pytest.mark.parametrize("args", [["list"], ["list", "all", "--json"], ["add", "warm tea"],
                                  ["export"], ["undo"], ["import", "{file}"]],
                         ids=lambda a: "-".join(a))
def test_a_database_that_is_not_a_file_is_refused_in_one_line(not_a_file, args, tmp_path):
    kind, where = not_a_file
    export = tmp_path / "mine.json"
    export.write_text("[]", encoding="utf-8")
    args = [a.replace("{file}", str(export)) for a in args]
    one_line(run("--db", str(where), "--now", NOW, *args), str(where), "not a file")
    assert kind_of(where) == kind
    assert sorted(p.name for p in tmp_path.iterdir()) == ["glimmers.json", "mine.json"]


def test_doctor_names_a_database_that_is_not_a_file(not_a_file):
    kind, where = not_a_file
    done = subprocess.run([sys.executable, "-m", "voice_glimmers", "doctor"],
                          capture_output=True, text=True, timeout=60,
                          env={**os.environ, "VOICE_GLIMMERS_DB": str(where)})
    lines = [x for x in done.stdout.splitlines() if x.strip().startswith("database:")]
    if kind == "folder":  # said before any check runs, in the one line every command gives
        assert not lines and "is a folder, not a file" in done.stderr, done
    else:
        assert "needs care" in lines[0] and "not a file" in lines[0]
    assert kind_of(where) == kind


@pytest.mark.parametrize("args", [["list"], ["list", "all", "--json"], ["export"],
                                  ["export", "--format", "json"], ["reflect"]],
                         ids=lambda a: "-".join(a))
def test_reading_commands_never_make_a_database(tmp_path, args):
    db = tmp_path / "not-yet" / "glimmers.json"
    done = run("--db", str(db), "--now", NOW, *args)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert not db.parent.exists()
    if args[-1] == "--json" or args[-1] == "json":
        assert json.loads(done.stdout) == []


def test_doctor_never_makes_a_database(tmp_path):
    db = tmp_path / "not-yet" / "glimmers.json"
    done = subprocess.run([sys.executable, "-m", "voice_glimmers", "doctor"], capture_output=True,
                          text=True, timeout=60, env={**os.environ, "VOICE_GLIMMERS_DB": str(db)})
    assert "no glimmers yet" in done.stdout
    assert not db.parent.exists()


def test_reading_commands_never_write_a_file_that_is_there(tmp_path):
    db = tmp_path / "glimmers.json"
    db.write_text(json.dumps({"glimmers": {"1": record("made by hand, without _meta")}}))
    db.chmod(0o600)
    before = db.read_bytes(), db.stat().st_mtime_ns, sorted(tmp_path.iterdir())
    for args in (["list", "all"], ["export"], ["reflect"]):
        done = run("--db", str(db), "--now", NOW, *args)
        assert done.returncode == 0 and done.stderr == "", done.stderr
    assert "made by hand" in run("--db", str(db), "list", "all").stdout
    assert (db.read_bytes(), db.stat().st_mtime_ns, sorted(tmp_path.iterdir())) == before


def test_a_store_opened_to_read_makes_nothing(tmp_path):
    db = tmp_path / "glimmers.json"
    with GlimmerStore.open(db, create=False) as store:
        assert store.all() == [] and store.last() is None
    assert list(tmp_path.iterdir()) == []


def test_a_backup_that_is_a_pipe_is_passed_over_and_never_waited_on(tmp_path):
    db = tmp_path / "glimmers.json"
    fill(db, days=3)
    newest = backups_of(db)[0][1]
    newest.unlink()
    os.mkfifo(newest, 0o600)
    db.write_text("{ oh no")
    done = run("--db", str(db), "list", "all", "--json", timeout=20)
    assert done.returncode == 0, done.stderr
    assert "Monday 2 November 2026" in done.stderr
    assert [g["text"] for g in json.loads(done.stdout)] == ["day 0 glimmer 0", "day 0 glimmer 1"]
    assert kind_of(newest) == "fifo"


def test_todays_backup_that_is_not_a_file_is_left_alone_and_the_glimmer_saved(tmp_path):
    db = tmp_path / "glimmers.json"
    fill(db, days=1)
    today = tmp_path / f"glimmers.json.backup-{date.today().isoformat()}"
    os.mkfifo(today, 0o600)
    done = run("--db", str(db), "add", "warm tea", timeout=20)
    assert done.returncode == 0, done.stderr
    assert "not a file" in done.stderr and done.stderr.count("\n") == 1
    assert kind_of(today) == "fifo"
    with GlimmerStore.open(db) as store:
        assert store.last().text == "warm tea"


@pytest.mark.parametrize("make", ["fifo", "zero", "folder"])
def test_import_of_a_pipe_or_device_ends_at_once_in_one_line(tmp_path, make):
    db = tmp_path / "glimmers.json"
    source = tmp_path / "incoming"
    if make == "fifo":
        os.mkfifo(source, 0o600)
    elif make == "folder":
        source.mkdir()
    else:
        source = Path("/dev/zero")
    started = time.monotonic()
    one_line(run("--db", str(db), "import", str(source), timeout=20, memory_mb=1024),
             str(source), "not a file")
    assert time.monotonic() - started < 15
    assert not db.exists()


def test_import_refuses_a_file_too_large_to_be_an_export(tmp_path):
    db = tmp_path / "glimmers.json"
    big = tmp_path / "big.json"
    with open(big, "wb") as out:
        out.truncate(300 * 1024 * 1024)  # sparse: 300 MB without using the disk
    one_line(run("--db", str(db), "import", str(big), timeout=20, memory_mb=1024), str(big), "MB")
    assert not db.exists()


# --- 2: a database that is a link -------------------------------------------------------


def test_a_linked_database_is_refused_and_its_target_left_exactly_as_it_was(tmp_path):
    real = tmp_path / "elsewhere" / "theirs.json"
    with GlimmerStore.open(real) as store:
        store.add("already here", at=EVENING)
    real.chmod(0o644)
    if IS_ROOT:
        os.chown(real, NOBODY, NOBODY)
    before = real.read_bytes(), real.stat().st_mode, real.stat().st_uid
    link = tmp_path / "glimmers.json"
    link.symlink_to(real)
    for args in (["list", "all"], ["add", "warm tea"], ["export"]):
        one_line(run("--db", str(link), *args), str(link), "link", str(real))
    assert link.is_symlink() and link.resolve() == real
    assert (real.read_bytes(), real.stat().st_mode, real.stat().st_uid) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["elsewhere", "glimmers.json"]


def test_a_linked_data_folder_still_works_with_one_lock(tmp_path):
    real = tmp_path / "real"
    real.mkdir(mode=0o700)
    (tmp_path / "linked").symlink_to(real)
    with GlimmerStore.open(tmp_path / "linked" / "glimmers.json") as one, \
            GlimmerStore.open(real / "glimmers.json") as two:
        one.add("through the link", at=EVENING)
        two.add("through the folder", at=EVENING)
        assert [g.text for g in one.all()] == ["through the link", "through the folder"]


# --- 5: loose permissions ---------------------------------------------------------------


def loose_files(db: Path) -> list[Path]:
    fill(db, days=2)
    backup = backups_of(db)[0][1]
    aside = db.with_name(f"{db.name}.corrupt-20261101T100000")
    aside.write_text("{ half")
    db.chmod(0o644)
    backup.chmod(0o666)
    aside.chmod(0o644)
    return [db, backup, aside]


def test_loose_glimmer_files_are_made_private_together_and_said(tmp_path):
    db = tmp_path / "glimmers.json"
    files = loose_files(db)
    done = run("--db", str(db), "list", "all")
    assert done.returncode == 0, done.stderr
    assert [mode(p) for p in files] == [0o600, 0o600, 0o600]
    assert done.stderr.count("\n") == 1 and "private" in done.stderr
    for path in files:
        assert path.name in done.stderr


@pytest.mark.skipif(not IS_ROOT, reason="a file owned by someone else needs root to make")
def test_someone_elses_loose_backup_is_never_changed_and_doctor_says_so(tmp_path):
    db = tmp_path / "glimmers.json"
    db, backup, aside = loose_files(db)
    db.chmod(0o600)
    aside.chmod(0o600)
    os.chown(backup, NOBODY, NOBODY)
    from voice_glimmers.app.doctor import check_database
    from voice_glimmers.app.settings import Settings

    line = check_database(Settings(db_path=db), PinnedClock(EVENING))
    assert mode(backup) == 0o666 and backup.stat().st_uid == NOBODY
    assert "readable only by you" not in line
    assert backup.name in line and f"chmod 600 {backup}" in line


def test_doctor_tells_of_a_folder_others_can_look_into(tmp_path):
    folder = tmp_path / "data"
    db = folder / "glimmers.json"
    fill(db, days=1)
    folder.chmod(0o755)
    from voice_glimmers.app.doctor import check_database
    from voice_glimmers.app.settings import Settings

    line = check_database(Settings(db_path=db), PinnedClock(EVENING))
    assert "readable only by you" not in line and f"chmod 700 {folder}" in line
    folder.chmod(0o700)
    line = check_database(Settings(db_path=db), PinnedClock(EVENING))
    assert "readable only by you" in line


def test_a_set_aside_file_is_private(tmp_path):
    db = tmp_path / "glimmers.json"
    fill(db, days=2)
    db.write_text("{ oh no")
    db.chmod(0o644)
    with GlimmerStore.open(db) as store:
        assert store.notices
    [aside] = tmp_path.glob("glimmers.json.corrupt-*")
    assert mode(aside) == 0o600


# --- 7 and 12: damaged records ----------------------------------------------------------


DAMAGES = {
    "naive-created-at": ("3", record("damaged", created_at="2026-11-27T10:00:00")),
    "day-is-a-number": ("3", record("damaged", day=20261127)),
    "created-at-is-a-number": ("3", record("damaged", created_at=1764237600)),
    "confidence-is-words": ("3", record("damaged", confidence="high")),
    "confidence-is-a-list": ("3", record("damaged", confidence=[0.5])),
    "no-text": ("3", record(...)),
    "text-is-an-object": ("3", record({"a": 1})),
    "tags-are-a-word": ("3", record("damaged", tags="home")),
    "key-is-negative": ("-5", record("damaged")),
    "key-is-words": ("abc", record("damaged")),
    "key-is-a-fraction": ("2.5", record("damaged")),
}


@pytest.fixture(params=sorted(DAMAGES))
def damaged_db(request, tmp_path):
    key, bad = DAMAGES[request.param]
    db = tmp_path / "glimmers.json"
    hand_written(db, {"1": record("the smell of rain", hour=8), key: bad,
                      "2": record("warm socks", hour=9)})
    return db, key


def test_one_damaged_record_never_hides_the_others(damaged_db):
    db, key = damaged_db
    for args in (["list", "all", "--json"], ["list", "--json"], ["export", "--format", "json"]):
        done = run("--db", str(db), "--now", NOW, *args)
        assert done.returncode == 0, done.stderr
        assert [g["text"] for g in json.loads(done.stdout)] == ["the smell of rain", "warm socks"]
        assert done.stderr.count("\n") == 1 and names(done.stderr, key), done.stderr
    done = run("--db", str(db), "--now", NOW, "list", "all")
    assert "the smell of rain" in done.stdout and "warm socks" in done.stdout


def test_a_damaged_record_is_kept_in_the_file_through_later_saves(damaged_db):
    db, key = damaged_db
    before = json.loads(db.read_text())["glimmers"][key]
    done = run("--db", str(db), "--now", NOW, "add", "sun on my face")
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"Saved (id {4 if key == '3' else 3}): sun on my face\n"
    after = json.loads(db.read_text())["glimmers"]
    assert after[key] == before and after["1"]["text"] == "the smell of rain"


def test_the_store_reads_around_a_damaged_record_everywhere(damaged_db):
    db, key = damaged_db
    with GlimmerStore.open(db) as store:
        texts = ["the smell of rain", "warm socks"]
        assert [g.text for g in store.all()] == texts
        assert [g.text for g in store.between(date(2026, 11, 27), date(2026, 11, 27))] == texts
        assert [g.text for g in store.search("socks")] == ["warm socks"]
        assert store.last().text == "warm socks"
        assert store.undo() is None
        added = store.add("tea", at=EVENING)
        assert added.id == (4 if key == "3" else 3)
        assert [line for line in store.notices if names(line, key)]


def test_undo_passes_over_a_damaged_deleted_glimmer(tmp_path):
    db = tmp_path / "glimmers.json"
    hand_written(db, {"1": record("tea", deleted_at="2026-11-27T10:00:00+00:00"),
                      "2": record("damaged", deleted_at="2026-11-27T11:00:00")})
    with GlimmerStore.open(db) as store:
        assert store.undo().text == "tea"
        assert store.undo() is None


def test_a_record_key_below_one_never_makes_a_negative_id(tmp_path):
    db = tmp_path / "glimmers.json"
    hand_written(db, {"-5": record("hand edited")})
    done = run("--db", str(db), "--now", NOW, "add", "warm tea")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Saved (id 1): warm tea\n"


def test_keys_that_read_as_one_number_never_overwrite_each_other(tmp_path):
    db = tmp_path / "glimmers.json"
    hand_written(db, {"7": record("seven"), "007": record("double-oh seven")})
    with GlimmerStore.open(db) as store:
        store.add("warm tea", at=EVENING)
        store.delete(7, at=EVENING)
        store.undo()
    kept = json.loads(db.read_text())["glimmers"]
    assert {kept[k]["text"] for k in kept} == {"seven", "double-oh seven", "warm tea"}


def test_doctor_names_damaged_records(tmp_path):
    db = tmp_path / "glimmers.json"
    hand_written(db, {"1": record("tea"), "2": record("damaged", day=5)})
    from voice_glimmers.app.doctor import check_database
    from voice_glimmers.app.settings import Settings

    with pytest.raises(GlimmersError, match="Glimmer 2 .* damaged"):
        check_database(Settings(db_path=db), PinnedClock(EVENING))


# --- 8: choosing a backup, and recovering in a running process --------------------------


def test_a_backup_holding_a_damaged_record_loses_to_an_older_good_one(tmp_path):
    db = tmp_path / "glimmers.json"
    fill(db, days=3)
    newest = backups_of(db)[0][1]
    data = json.loads(newest.read_text())
    data["glimmers"]["1"]["created_at"] = "2026-11-01T20:00:00"  # no offset
    data["_meta"]["1"].pop("checksum", None)
    newest.write_text(json.dumps(data))
    db.write_text("[1, 2")
    with GlimmerStore.open(db) as store:
        assert "Monday 2 November 2026" in store.notices[0]
        assert [g.text for g in store.all()] == ["day 0 glimmer 0", "day 0 glimmer 1"]


def _chat(db: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "voice_glimmers", "--db", str(db), "chat"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})


def _say(chat: subprocess.Popen, line: str) -> str:
    assert chat.stdin is not None and chat.stdout is not None
    chat.stdin.write(line + "\n")
    chat.stdin.flush()
    return chat.stdout.readline().strip()


def _finish(chat: subprocess.Popen) -> str:
    try:
        _, err = chat.communicate(timeout=60)
    finally:
        chat.kill()
    assert chat.returncode == 0 and "Traceback" not in err, err
    return err


def test_a_file_damaged_while_chat_runs_is_restored_by_chat_itself(tmp_path):
    db = tmp_path / "glimmers.json"
    yesterday = PinnedClock(datetime.now().astimezone() - timedelta(days=1))
    with GlimmerStore.open(db, clock=yesterday) as store:
        store.add("from before", at=yesterday())
    chat = _chat(db)
    try:
        assert _say(chat, "glimmer the smell of rain") == "Saved: the smell of rain."
        db.write_text("{ damaged while chat ran")
        assert _say(chat, "glimmer warm socks") == "Saved: warm socks."
        assert _say(chat, "glimmer sun on my face") == "Saved: sun on my face."
    finally:
        err = _finish(chat)
    assert "set it aside" in err and err.count("set it aside") == 1
    with GlimmerStore.open(db) as store:
        assert [g.text for g in store.all()] == ["from before", "warm socks", "sun on my face"]


def test_a_read_back_that_cannot_read_the_file_says_so_not_that_it_could_not_save(tmp_path):
    db = tmp_path / "glimmers.json"
    chat = _chat(db)
    try:
        assert _say(chat, "glimmer the smell of rain") == "Saved: the smell of rain."
        for _, backup in backups_of(db):
            backup.unlink()
        db.write_text("{ damaged while chat ran")
        answer = _say(chat, "what were my glimmers today")
        assert "save" not in answer and "glimmers" in answer
    finally:
        err = _finish(chat)
    assert "no good backup" in err


# --- 9: a checksum of the records -------------------------------------------------------


def test_a_saved_file_carries_a_checksum_of_its_records(tmp_path):
    db = tmp_path / "glimmers.json"
    with GlimmerStore.open(db) as store:
        store.add("tea", at=EVENING)
    assert json.loads(db.read_text())["_meta"]["1"]["checksum"].startswith("crc32:")


def test_a_record_changed_on_the_disk_is_caught_and_the_backup_restored(tmp_path):
    db = tmp_path / "glimmers.json"
    fill(db, days=2)
    changed = db.read_bytes().replace(b"day 1 glimmer 1", b"day 1 glimmer 7")
    db.write_bytes(changed)
    with GlimmerStore.open(db) as store:
        assert len(store.notices) == 1 and "checksum" in store.notices[0]
        assert [g.text for g in store.all()] == ["day 0 glimmer 0", "day 0 glimmer 1"]
    [aside] = tmp_path.glob("glimmers.json.corrupt-*")
    assert aside.read_bytes() == changed


def test_a_changed_file_without_a_backup_is_one_line_and_left_as_it_is(tmp_path):
    db = tmp_path / "glimmers.json"
    with GlimmerStore.open(db) as store:
        store.add("tea", at=EVENING)
    for _, backup in backups_of(db):
        backup.unlink()
    changed = db.read_bytes().replace(b"tea", b"tee")
    db.write_bytes(changed)
    with pytest.raises(StoreCorrupt, match="checksum"):
        GlimmerStore.open(db)
    assert db.read_bytes() == changed
    one_line(run("--db", str(db), "list"), str(db), "checksum")


def test_a_file_from_before_checksums_opens_and_gets_one_at_the_next_save(tmp_path):
    db = tmp_path / "glimmers.json"
    hand_written(db, {"1": record("the smell of rain")})
    with GlimmerStore.open(db) as store:
        assert store.notices == [] and [g.text for g in store.all()] == ["the smell of rain"]
        assert "checksum" not in json.loads(db.read_text())["_meta"]["1"]
        store.add("tea", at=EVENING)
    assert "checksum" in json.loads(db.read_text())["_meta"]["1"]
    with GlimmerStore.open(db) as store:
        assert store.notices == [] and len(store.all()) == 2


def test_no_single_bit_flip_is_accepted_with_changed_content(tmp_path):
    pristine = tmp_path / "pristine"
    db = pristine / "glimmers.json"
    fill(db, days=2)
    with GlimmerStore.open(db, clock=on_day(date(2026, 11, 2))) as store:
        store.add("spoken", at=EVENING, source="voice", confidence=0.87, tags=("sound",))
        store.delete(1, at=EVENING)
        expected = [(g, g.deleted_at) for g in store.all()]
    raw = db.read_bytes()
    rng = random.Random(9)
    changed = []
    for n in range(200):
        trial = tmp_path / f"trial-{n}"
        shutil.copytree(pristine, trial)
        bit = rng.randrange(len(raw) * 8)
        flipped = bytearray(raw)
        flipped[bit // 8] ^= 1 << (bit % 8)
        (trial / db.name).write_bytes(bytes(flipped))
        try:
            with GlimmerStore.open(trial / db.name, clock=on_day(date(2026, 11, 3))) as store:
                found = [(g, g.deleted_at) for g in store.all()]
                if not store.notices and found != expected:
                    changed.append(bit)
        except StoreError:
            pass
        shutil.rmtree(trial)
    assert changed == []


# --- 10 and 11: temps, and a new folder -------------------------------------------------


def test_cleanup_takes_only_the_stores_own_unfinished_writes(tmp_path):
    db = tmp_path / "a.json"
    GlimmerStore.open(db).close()
    ours = [tmp_path / ".a.json.k2j4h5g6.tmp", tmp_path / ".a.json.backup-2026-11-27.x1y2z3w4.tmp"]
    theirs = [tmp_path / ".a.json2.k2j4h5g6.tmp", tmp_path / ".a.json.csv.k2j4h5g6.tmp",
              tmp_path / ".a.jsonl.abc.tmp", tmp_path / ".a.json.md.tmp.abcdefgh.tmp"]
    for path in ours + theirs:
        path.write_text("being written")
    with GlimmerStore.open(db) as store:
        store.add("tea", at=EVENING)
    assert [p.exists() for p in ours] == [False, False]
    assert [p.exists() for p in theirs] == [True] * len(theirs)


def test_a_new_data_folder_is_made_durable_in_its_parent(tmp_path, monkeypatch):
    synced: list[str] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    db = tmp_path / "new" / "deeper" / "glimmers.json"
    GlimmerStore.open(db).close()
    assert mode(db.parent) == mode(db.parent.parent) == 0o700
    assert str(tmp_path) in synced and str(tmp_path / "new") in synced
    assert synced.index(str(tmp_path)) < synced.index(str(db.parent))


def test_a_file_laid_out_again_in_an_editor_still_matches_its_checksum(tmp_path):
    db = tmp_path / "glimmers.json"
    with GlimmerStore.open(db) as store:
        store.add("the smell of rain", at=EVENING)
        store.add("warm socks", at=EVENING, source="voice", confidence=0.75)
    data = json.loads(db.read_text())
    db.write_text(json.dumps({"glimmers": data["glimmers"], "_meta": data["_meta"]}, indent=4))
    with GlimmerStore.open(db) as store:
        assert store.notices == [] and [g.text for g in store.all()] == [
            "the smell of rain", "warm socks"]
