"""A language folder loads whole, or names the file that is wrong and why."""

from __future__ import annotations

import shutil

import pytest

from voice_glimmers.app.settings import intents_dir
from voice_glimmers.core.errors import IntentFileError
from voice_glimmers.language.bundle import Language


@pytest.fixture
def folder(tmp_path):
    copy = tmp_path / "en"
    shutil.copytree(intents_dir() / "en", copy)
    return copy


def test_the_english_folder_loads(folder):
    language = Language.from_dir(folder)
    assert language.signs.is_crisis("i wanted to end my life")
    assert "sound" in language.tags.words


@pytest.mark.parametrize("filename, broken, said", [
    ("replies.yaml", "replies: [unclosed", "not valid YAML"),
    ("replies.yaml", "replies: {saved: 'x'}\n", "needs a 'reflection:' mapping"),
    ("tags.yaml", "tags: {sight: 3}\n", "tag 'sight' needs a list of words"),
    ("safety.yaml", "crisis: ['re: (unclosed']\nhard_feelings: [x]\nnone_found: [x]\n"
                    "no_answer: [x]\n", "bad pattern"),
    ("safety.yaml", "crisis: [x]\n", "needs a 'hard_feelings:' list"),
])
def test_a_broken_file_is_named_with_what_is_wrong(folder, filename, broken, said):
    (folder / filename).write_text(broken)
    with pytest.raises(IntentFileError) as caught:
        Language.from_dir(folder)
    assert filename in str(caught.value) and said in str(caught.value)


def test_a_missing_file_is_named(folder):
    (folder / "tags.yaml").unlink()
    with pytest.raises(IntentFileError, match="tags.yaml: cannot be read"):
        Language.from_dir(folder)
