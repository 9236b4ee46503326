"""Import judges each entry as `add` judges what is typed: text that is words, a moment
already lived, one column of each name; and a problem names its row (the header is row 1,
as a spreadsheet shows it) or its entry. A file with any bad entry adds nothing."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from voice_glimmers.app.cli import main
from voice_glimmers.core.errors import GlimmersError
from voice_glimmers.store.glimmer_store import GlimmerStore
from voice_glimmers.views.formats import read_glimmers

NOW = "2026-11-27T20:30:00+00:00"
LATER = datetime(2026, 11, 27, 20, 30, tzinfo=timezone.utc)
TEA = "2026-11-27T10:00:00+00:00"


@pytest.fixture
def db(tmp_path):
    db = tmp_path / "glimmers.json"
    with GlimmerStore.open(db) as store:
        store.add("already here", at=datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc))
    return db


@pytest.mark.parametrize("name, content, words", [
    ("a.json", f'[{{"text": {{"a": 1}}, "created_at": "{TEA}"}}]', ["entry 1", "text"]),
    ("a.json", f'[{{"text": "tea", "created_at": "{TEA}"}}, {{"text": 5, "created_at": "{TEA}"}}]',
     ["entry 2", "text"]),
    ("a.json", '[{"text": "tea", "created_at": "2099-01-01T10:00:00+00:00"}]',
     ["entry 1", "has not happened yet"]),
    ("a.json", f'[{{"text": "tea\\u009b31m", "created_at": "{TEA}"}}]',
     ["entry 1", "control characters"]),
    ("a.json", f'[{{"id": "seven", "text": "tea", "created_at": "{TEA}"}}]',
     ["entry 1", "id 'seven' is not a whole number"]),
    ("a.json", f'[{{"text": "tea", "created_at": "{TEA}", "confidence": "high"}}]',
     ["entry 1", "confidence", "high"]),
    ("a.csv", f"id,text,text,created_at\n1,tea,coffee,{TEA}\n", ["text", "twice"]),
    ("a.csv", f"id,text,created_at\n1,tea,{TEA}\n2,toast,yesterday\n",
     ["a.csv, row 3", "yesterday"]),
    ("a.csv", f'id,text,created_at\n1,tea,{TEA}\n2,"toast,{TEA}\n3,jam,{TEA}\n',
     ["a.csv, row 3", "quote"]),
    ("a.csv", f"id,text,created_at\n1,tea,{TEA},extra\n", ["a.csv, row 2", "more columns"]),
    ("a.csv", "id,text,created_at\n1,tea\n", ["a.csv, row 2", "created_at"]),
    ("a.csv", "id,text,created_at\n1,2099 tea,2099-01-01T10:00:00+00:00\n",
     ["a.csv, row 2", "has not happened yet"]),
])
def test_a_bad_entry_is_named_and_nothing_is_added(tmp_path, db, capsys, name, content, words):
    before = db.read_bytes()
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    assert main(["--db", str(db), "--now", NOW, "import", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("voice-glimmers: ") and err.count("\n") == 1, err
    for word in words:
        assert word in err, err
    assert "isoformat" not in err and "None" not in err and "{'a'" not in err
    assert db.read_bytes() == before


def test_the_rows_are_counted_as_a_spreadsheet_shows_them():
    text = f'id,text,created_at\n1,"tea\non two lines",{TEA}\n2,,{TEA}\n'
    with pytest.raises(GlimmersError, match=r"the file, row 3: that glimmer is empty"):
        read_glimmers(text, now=LATER)


def test_good_entries_are_taken_as_add_takes_them():
    glimmers = read_glimmers(f'[{{"text": "  warm socks  ", "created_at": "{TEA}"}}]', now=LATER)
    assert [g.text for g in glimmers] == ["warm socks"]
    # a minute ahead of the clock is allowed, as for add --at (clocks differ a little)
    ahead = '[{"text": "tea", "created_at": "2026-11-27T20:30:30+00:00"}]'
    assert len(read_glimmers(ahead, now=LATER)) == 1
