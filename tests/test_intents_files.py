"""Intent files: loading from folders and inline YAML, malformed files, any input."""

from __future__ import annotations

import io
import shutil
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from voice_glimmers.core.days import DateRange
from voice_glimmers.core.errors import IntentFileError
from voice_glimmers.language.intents import Intents
from voice_glimmers.understand.matcher import Match, strict, understand

ROOT = Path(__file__).resolve().parent.parent
ENGLISH = ROOT / "intents" / "en"
FRIDAY = date(2026, 11, 27)
INTERFACE = {
    "capture_glimmer", "list_glimmers", "count_glimmers", "reflect", "random_glimmer",
    "search_glimmers", "delete_last", "help", "cancel", "repeat", "yes", "no",
    "pause_listening", "resume_listening", "privacy", "last_glimmer", "another_glimmer",
    "delete_about", "correct_last", "tag_last",
}

SMALL = """
language: en
skip_words: [um]
lists:
  text: {wildcard: true}
intents:
  capture_glimmer:
    examples: ["glimmer, warm bread"]
    data:
      - sentences: ["glimmer {text}"]
        required_keywords: [glimmer]
  "yes":
    data:
      - sentences: ["(yes|yeah)"]
"""


@pytest.fixture(scope="module")
def english() -> Intents:
    return Intents.from_dir(ENGLISH)


def _stream(text: str, name: str) -> io.StringIO:
    stream = io.StringIO(text)
    stream.name = name
    return stream


def test_every_interface_intent_is_there_with_examples(english):
    assert set(english.names) == INTERFACE
    assert english.language == "en"
    for intent in INTERFACE:
        examples = english.examples(intent)
        assert 1 <= len(examples) <= 3
        found = [understand(e, english, today=FRIDAY) for e in examples]
        assert [m.intent if m else None for m in found] == [intent] * len(examples)
    first = english.examples("capture_glimmer", n=1)
    assert first == ["glimmer, the smell of rain on the way home"]
    assert english.examples("no_such_intent") == []


def test_inline_yaml(english):
    small = Intents.from_yaml(_stream(SMALL, "small.yaml"))
    assert small.names == ["capture_glimmer", "yes"]
    match = understand("um glimmer warm bread um", small, today=FRIDAY)
    assert match == Match("capture_glimmer", {"text": "warm bread"}, 100.0,
                          "um glimmer warm bread um")
    assert understand("yeah", small, today=FRIDAY).intent == "yes"
    assert understand("turn on the lights", small, today=FRIDAY) is None


@pytest.mark.parametrize(
    ("said", "text"),
    [
        ("Glimmer: the smell of rain, finally!", "the smell of rain, finally"),
        ("Here's a glimmer - my friend's dog rolled over.", "my friend's dog rolled over"),
        ("glimmer the uh birds um singing", "the birds singing"),
        ("glimmer warm\x00socks\n", "warm socks"),
        ("  GLIMMER   Warm   bread  ", "Warm bread"),
    ],
)
def test_free_text_is_kept_as_written(english, said, text):
    match = understand(said, english, today=FRIDAY)
    assert (match.intent, match.slots) == ("capture_glimmer", {"text": text})


def test_to_dict_is_the_understand_json_shape(english):
    match = understand("how many glimmers last week", english, today=FRIDAY)
    assert match.to_dict() == {
        "text": "how many glimmers last week", "intent": "count_glimmers",
        "slots": {"when": {"start": "2026-11-16", "end": "2026-11-22"}}, "score": 100.0,
    }


def test_week_start_reaches_the_when_slot(english):
    match = understand("what were my glimmers this week", english, today=FRIDAY, week_start=6)
    assert match.slots["when"] == DateRange(date(2026, 11, 22), FRIDAY)


def test_only_the_sentences_folder_is_read(tmp_path):
    folder = tmp_path / "en"
    shutil.copytree(ENGLISH / "sentences", folder / "sentences")
    (folder / "replies.yaml").write_text("this: [is, not, {an intent file", encoding="utf-8")
    (folder / "tests").mkdir()
    (folder / "tests" / "broken.yaml").write_text(":\n  - [", encoding="utf-8")
    assert set(Intents.from_dir(folder).names) == INTERFACE


def test_another_language_is_a_folder(tmp_path):
    sentences = tmp_path / "intents" / "de" / "sentences"
    sentences.mkdir(parents=True)
    (sentences / "_common.yaml").write_text(
        "language: de\nskip_words: [äh]\nlists:\n  text: {wildcard: true}\n", encoding="utf-8")
    (sentences / "capture_glimmer.yaml").write_text(
        "language: de\nintents:\n  capture_glimmer:\n    data:\n"
        "      - sentences: ['(glimmer|lichtblick) {text}']\n", encoding="utf-8")
    german = Intents.from_dir(tmp_path / "intents" / "de")
    assert german.language == "de"
    match = understand("Äh, Lichtblick: die Sonne im Gesicht", german, today=FRIDAY)
    assert (match.intent, match.slots) == ("capture_glimmer", {"text": "die Sonne im Gesicht"})


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("language: en\nintents:\n  yes:\n    data:\n      - sentences: [yes]\n",
         "intent name True is not text"),
        ("language: en\nintents: [a, b]\n", "'intents' must map intent names"),
        ("intents: {}\n", "'language' is missing"),
        ("language: fr\nintents: {}\n", "language 'fr', other files say 'en'"),
        ("- just\n- a list\n", "expected a mapping"),
        ("language: en\nintents:\n  extra:\n    data: []\n", "intent 'extra' needs a 'data' list"),
        ("language: en\nintents:\n  extra:\n    data:\n      - sentence: [help]\n",
         "needs a 'sentences' list"),
        ("language: en\nintents:\n  extra:\n    data:\n      - sentences: ['(help|me']\n",
         "template '(help|me' cannot be read"),
        ("language: en\nintents:\n  extra:\n    data:\n      - sentences: ['<nowhere> help']\n",
         "unknown rule <nowhere>"),
        ("language: en\nintents:\n  extra:\n    data:\n      - sentences: ['find {thing}']\n",
         "unknown list {thing}"),
        ("language: en\nintents:\n  cancel:\n    data:\n      - sentences: [stop]\n",
         "intent 'cancel' is already in"),
        ("language: en\nintents:\n  extra: [\n", "not valid YAML"),
        ("language: en\nlead_ins: [no, so]\n", "'lead_ins': False is not text (put it in"),
        ("language: en\nsofteners: really\n", "'softeners' must be a list of words"),
    ],
)
def test_malformed_file_names_file_and_problem(tmp_path, content, problem):
    folder = tmp_path / "en"
    shutil.copytree(ENGLISH / "sentences", folder / "sentences")
    bad = folder / "sentences" / "zz_bad.yaml"
    bad.write_text(content, encoding="utf-8")
    with pytest.raises(IntentFileError) as caught:
        Intents.from_dir(folder)
    message = str(caught.value)
    assert problem in message
    assert "zz_bad.yaml" in message
    assert "\n" not in message


def test_missing_folder_and_unreadable_file(tmp_path):
    with pytest.raises(IntentFileError, match="no intent files"):
        Intents.from_dir(tmp_path / "xx")
    folder = tmp_path / "en" / "sentences"
    folder.mkdir(parents=True)
    (folder / "help.yaml").write_bytes(b"language: en\n\xff\xfe")
    with pytest.raises(IntentFileError, match="not UTF-8"):
        Intents.from_dir(tmp_path / "en")


def test_malformed_file_through_the_cli(tmp_path, monkeypatch, capsys):
    """A broken intent file is one line on stderr and exit 1, never a traceback."""
    from voice_glimmers.app import cli

    shutil.copytree(ENGLISH / "sentences", tmp_path / "intents" / "en" / "sentences")
    (tmp_path / "intents" / "en" / "sentences" / "help.yaml").write_text(
        "language: en\nintents:\n  help:\n    data:\n      - sentences: ['[help']\n",
        encoding="utf-8")
    monkeypatch.setenv("VOICE_GLIMMERS_INTENTS", str(tmp_path / "intents"))
    assert cli.main(["understand", "help"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("voice-glimmers: ") and "help.yaml" in err
    assert len(err.strip().splitlines()) == 1


HEDGED = """
language: en
skip_words: [um, please]
lead_ins: [i think, could you]
tail_offs: [for a bit, now]
softeners: [really]
lists:
  text: {wildcard: true}
intents:
  capture_glimmer:
    data:
      - sentences: ["(save a glimmer|glimmer) {text}"]
        required_keywords: [glimmer]
  pause_listening:
    data:
      - sentences: ["stop listening"]
"""


@pytest.mark.parametrize(
    ("said", "intent", "text"),
    [
        ("could you stop listening for a bit", "pause_listening", None),
        ("um i think could you really stop listening now please", "pause_listening", None),
        # Free text keeps everything between its first and last word, softeners too,
        # and a tail-off is only taken away when nothing matched with it.
        ("could you save a glimmer the sun was really warm now", "capture_glimmer",
         "the sun was really warm now"),
        # After a hedge, the bare keyword starts talk about the word, not a glimmer.
        ("i think glimmer is a lovely word", None, None),
        ("i think", None, None),
        ("stop listening to the radio now", None, None),
    ],
)
def test_lead_ins_tail_offs_and_softeners(said, intent, text):
    intents = Intents.from_yaml(io.StringIO(HEDGED))
    match = understand(said, intents, today=FRIDAY)
    assert (match.intent if match else None) == intent
    if text is not None:
        assert match.slots["text"] == text


def test_an_overlong_lead_in_is_an_error():
    with pytest.raises(IntentFileError, match="more than 6 words"):
        Intents.from_yaml(io.StringIO(HEDGED.replace("[i think,", "[a b c d e f g,")))


def test_anchors_only_skip_intents_that_cannot_match(english):
    """An intent with free text is tried only if a word every template needs was heard."""
    import dataclasses
    import random
    import re

    from hassil import sample_intents

    assert english.anchors["capture_glimmer"] == {"glimmer", "glimmers"}
    unanchored = dataclasses.replace(english, anchors=dict.fromkeys(english.anchors))
    rng = random.Random(7)
    for _, said in sample_intents(english.grammar, max_sentences_per_intent=40,
                                  exclude_sentences_with_wildcards=False):
        said = re.sub(r"\{\w+\}", lambda _: rng.choice(["the sea", "my dog", "rain"]), said)
        words = english.words(said)
        assert strict(english, words) == strict(unanchored, words), said


ANY_TEXT = st.one_of(
    st.text(max_size=200),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=60),
    st.text(alphabet=st.characters(categories=["Cc", "Cs", "Zs", "Zl", "Zp"]), max_size=50),
    st.text(alphabet="가나다한국어日本語العربيةĀéßглиммер", max_size=80),
    st.lists(st.sampled_from(["glimmer", "um", "the", "stop", "last", "week", "about", "no",
                              "how", "many", "twenty", "first", "of", "march", "'s", "?"]),
             max_size=30).map(" ".join),
    st.just("glimmer " * 2000),
    st.just("a" * 10_000),
    st.just(""),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=ANY_TEXT, today=st.dates(), week_start=st.integers(0, 6))
def test_any_text_gives_a_match_or_none(english, text, today, week_start):
    match = understand(text, english, today=today, week_start=week_start)
    if match is None:
        return
    assert match.intent in INTERFACE
    assert 0 <= match.score <= 100
    assert match.text == text
    assert set(match.slots) <= {"text", "query", "when", "tag"}
    for name in ("text", "query", "tag"):
        if name in match.slots:
            assert match.slots[name].strip() and match.slots[name] == match.slots[name].strip()
    if "when" in match.slots:
        assert match.slots["when"].start <= match.slots["when"].end <= today
    assert match.to_dict()["intent"] == match.intent


def test_the_shipped_phrase_table_is_the_one_todays_templates_make():
    """intents/en/expansions.json is read instead of expanding the templates at every start
    (else: run tools/expand-templates, or tools/train-meaning, which runs it)."""
    from voice_glimmers.language.intents import EXPANSIONS_FILE, load_dir, read_expansions

    fresh = load_dir(ENGLISH, expanded=False)
    shipped = read_expansions(ENGLISH / EXPANSIONS_FILE, fresh.expansion_key)
    assert shipped is not None, "the templates changed since expansions.json: run " \
        "tools/expand-templates"
    assert shipped == fresh.table
    assert load_dir(ENGLISH).known == fresh.known


def _copy_of_english(tmp_path: Path) -> Path:
    folder = tmp_path / "en"
    shutil.copytree(ENGLISH / "sentences", folder / "sentences")
    shutil.copy(ROOT / "intents" / "intents.yaml", tmp_path / "intents.yaml")
    shutil.copy(ENGLISH / "expansions.json", folder / "expansions.json")
    return folder


def test_a_phrase_table_made_from_other_templates_is_not_used(tmp_path):
    folder = _copy_of_english(tmp_path)
    help_file = folder / "sentences" / "help.yaml"
    help_file.write_text(help_file.read_text(encoding="utf-8").replace(
        "sentences:", 'sentences:\n          - "glimmer teach me the ropes"', 1), encoding="utf-8")
    intents = Intents.from_dir(folder)
    assert "glimmer teach me the ropes" in intents.table.plain_texts
    assert intents.table == Intents.from_yaml(*(
        open(path, encoding="utf-8") for path in sorted((folder / "sentences").glob("*.yaml"))
    ), registry=intents.registry).table


@pytest.mark.parametrize("damage", ["", "{not json", "[1, 2]", "no such intent", "folder", "pipe"])
def test_a_damaged_phrase_table_is_expanded_again(tmp_path, damage):
    import os

    folder = _copy_of_english(tmp_path)
    table = folder / "expansions.json"
    kept = __import__("json").loads(table.read_text(encoding="utf-8"))
    table.unlink()
    if damage == "folder":
        table.mkdir()
    elif damage == "pipe":
        os.mkfifo(table)
    elif damage == "no such intent":
        kept["plain"] = [[999, "a phrase of no intent"]]  # its own key, an intent not there
        table.write_text(__import__("json").dumps(kept), encoding="utf-8")
    else:
        table.write_text(damage, encoding="utf-8")
    assert Intents.from_dir(folder).table == Intents.from_dir(ENGLISH).table
