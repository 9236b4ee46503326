"""The screen, in every way words come in and every way glimmers go out.

Through the real command line with the real sentence model: `add` and `import` refuse
danger (and `add` a hard feeling) in one line, never echoing the words; and what the
screen sets aside is never read back (reflection, random glimmer, "on this day",
garden, therapy summary), not even when it was written into the file before the screen
existed. `list` and `export` still give the person everything.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from voice_glimmers.app.cli import main
from voice_glimmers.language.bundle import Language
from voice_glimmers.store.glimmer_store import GlimmerStore
from voice_glimmers.understand.screen import Content, Screen

ROOT = Path(__file__).resolve().parent.parent
NOW = "2026-11-27T20:30:00+00:00"
UTC = timezone.utc
DANGER = "i took all my pills"
HARD = "nobody ever listens to me"


@pytest.fixture
def db(tmp_path):
    return tmp_path / "glimmers.json"


@pytest.fixture
def cli(db, capsys):
    def run(*args: str) -> tuple[int, str, str]:
        code = main(["--db", str(db), "--now", NOW, *args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture(scope="module")
def screen():
    from test_conversations import likeness_for

    language = Language.from_dir(ROOT / "intents" / "en")
    return Screen(language.signs, language.lexicon, likeness_for(language),
                  frozenset({"glimmer", "glimmers"}))


@pytest.mark.parametrize("text, content", [
    ("i took some pills", Content.DANGER),
    ("ive been saving up my tablets for when i am ready", Content.DANGER),
    ("i want to die", Content.DANGER),
    ("my partner hit me again tonight", Content.DANGER),
    ("i was sexually assaulted at a party and i havent told a soul", Content.DANGER),
    ("he raped me", Content.DANGER),
    ("the fair was fun and then i self-harmed", Content.DANGER),
    ("i had a bad day", Content.HARD),
    ("youre useless", Content.HARD),
    ("everything is awful but the tea was warm", Content.MIXED),
    ("the cake was to die for", Content.GLIMMER),
    ("my phone died but i didnt mind", Content.GLIMMER),
    ("the cat purring on my lap", Content.GLIMMER),
    ("i dont know", Content.NOTHING),
])
def test_what_words_are(screen, text, content):
    assert screen.judge(text).content is content


@pytest.mark.parametrize("text", [
    "closed my bank account and gave the cat to my sister so no one has to deal with it after",
    "i got my affairs in order this week",
    "sorry for everything i am finished",
    "just had a seizure and nobody is here",
])
def test_the_lists_catch_affairs_in_order_a_farewell_and_a_fit_alone(text):
    """Said the ways set K's danger misses were, in other words: the lists alone catch them,
    whatever the model reads."""
    language = Language.from_dir(ROOT / "intents" / "en")
    assert Screen(language.signs, language.lexicon).judge(text).content is Content.DANGER


@pytest.mark.parametrize("text", ["i had a fit of giggles on my own watching cartoons",
                                  "sorted out the shed so nobody trips over the rake"])
def test_a_fit_of_giggles_and_a_tidy_shed_are_not_danger_to_the_lists(text):
    language = Language.from_dir(ROOT / "intents" / "en")
    assert Screen(language.signs, language.lexicon).judge(text).content is not Content.DANGER


def test_the_wake_word_carries_no_meaning_of_its_own(screen):
    assert screen.judge("glimmer warm socks").content is Content.GLIMMER
    assert screen.judge("i have a glimmer").content is not Content.DANGER


def test_without_the_model_the_lists_still_catch_what_they_hold():
    language = Language.from_dir(ROOT / "intents" / "en")
    lists = Screen(language.signs, language.lexicon)
    assert lists.judge("i want to kill myself").content is Content.DANGER
    assert lists.judge("warm socks").content is Content.GLIMMER


def test_add_refuses_danger_in_one_line_and_keeps_nothing(cli, db):
    code, out, err = cli("add", DANGER)
    assert code == 1 and out == ""
    assert err.startswith("voice-glimmers: I'm really glad you told me.")
    assert err.strip().endswith("(Not saved as a glimmer.)")
    assert "reach out to someone now" in err and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err
    assert not db.exists() or DANGER not in db.read_text()


def test_add_refuses_a_hard_feeling_gently(cli, db):
    code, out, err = cli("add", HARD)
    assert code == 1 and "That sounds hard" in err and len(err.strip().splitlines()) == 1
    code, out, _ = cli("add", "warm socks from the dryer")
    assert code == 0 and out.startswith("Saved")


def test_import_sets_danger_aside_without_echoing_it(cli, db, tmp_path):
    source = tmp_path / "old.json"
    entries = [{"text": text, "created_at": f"2026-11-2{n}T10:00:00+00:00"}
               for n, text in enumerate(["the first snow", DANGER, "a letter from my aunt"], 1)]
    source.write_text(json.dumps(entries), encoding="utf-8")
    before = source.read_bytes()
    code, out, err = cli("import", str(source))
    assert code == 0, err
    assert out == (f"Added 2 glimmers from {source}; "
                   "1 that sounded painful stays only in old.json, not in your glimmers.\n")
    assert "pills" not in out + err
    assert source.read_bytes() == before
    code, out, _ = cli("list", "all", "--json")
    assert [g["text"] for g in json.loads(out)] == ["the first snow", "a letter from my aunt"]


@pytest.fixture
def written_before_the_screen(db):
    """A file holding glimmers saved before the screen existed, danger and hard among them."""
    with GlimmerStore.open(db) as store:
        store.add("the kettle singing", at=datetime(2026, 11, 20, 9, tzinfo=UTC))  # a week ago
        store.add(DANGER, at=datetime(2026, 11, 20, 10, tzinfo=UTC))
        store.add(HARD, at=datetime(2026, 11, 27, 9, tzinfo=UTC))
        store.add(DANGER, at=datetime(2026, 11, 27, 10, tzinfo=UTC))
        store.add("sun on my face", at=datetime(2026, 11, 27, 11, tzinfo=UTC))
    return db


def test_the_reflection_never_reads_back_what_the_screen_sets_aside(cli, written_before_the_screen):
    code, out, _ = cli("reflect")
    assert code == 0
    assert "Sun on my face" in out or "sun on my face" in out
    assert "pills" not in out and "listens" not in out


def test_chat_read_backs_and_random_glimmers_never_present_it(cli, written_before_the_screen,
                                                            monkeypatch):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO(
        "what were my glimmers today\nwhat were my glimmers last week\n"
        + "glimmer i need a glimmer\n" * 6))
    code, out, _ = cli("chat")
    assert code == 0
    assert "sun on my face" in out.lower()
    assert "pills" not in out and "listens" not in out


def test_garden_and_therapy_summary_never_show_it(cli, written_before_the_screen, tmp_path):
    page = tmp_path / "garden.html"
    assert cli("garden", "-o", str(page))[0] == 0
    html = page.read_text(encoding="utf-8")
    assert "sun on my face" in html and "pills" not in html and "listens" not in html
    code, out, _ = cli("export", "--format", "therapy")
    assert code == 0 and "sun on my face" in out and "pills" not in out


def test_list_and_export_still_give_everything(cli, written_before_the_screen):
    code, out, _ = cli("list", "all", "--json")
    assert code == 0 and sum(g["text"] == DANGER for g in json.loads(out)) == 2


def test_list_marks_what_is_set_aside_and_says_what_the_mark_means(cli, written_before_the_screen):
    code, out, _ = cli("list", "all")
    assert code == 0
    lines = out.splitlines()
    marked = [line for line in lines if line.endswith("(set aside)")]
    assert len(marked) == 3 and all(DANGER in line or HARD in line for line in marked)
    assert not any(line.endswith("(set aside)") for line in lines
                   if "kettle singing" in line or "sun on my face" in line)
    assert lines[-1] == "(set aside): kept in your file, but not read back as a glimmer."


def test_a_list_with_nothing_set_aside_has_no_mark(cli, db):
    cli("add", "the kettle singing")
    code, out, _ = cli("list")
    assert code == 0 and "set aside" not in out and "kettle singing" in out


def test_judging_many_at_once_agrees_with_one_by_one(screen):
    texts = ["i took some pills", "the cat purring on my lap", "i had a bad day",
             "glimmer warm socks", "", "everything is awful but the tea was warm",
             "the cat purring on my lap"]
    fresh = Screen(screen.signs, screen.lexicon, screen.likeness, screen.ignore)
    assert [v.content for v in fresh.judge_all(texts)] == [screen.judge(t).content for t in texts]


def test_the_tuning_set_stays_as_good_as_it_was(screen):
    """Set F (blind; measured before the encoder was tuned, then used to choose how): a
    floor under the screen, so a change that makes it worse is seen. The figures of the
    sets measured once are in the README."""
    import yaml

    data = yaml.safe_load((ROOT / "intents/en/screen_tests/blind_f.yaml").read_text("utf-8"))

    def share(kind: str, wanted: set[Content]) -> int:
        return sum(screen.judge(text).content in wanted for text in data[kind])

    assert share("danger", {Content.DANGER}) >= FLOOR["danger"]
    assert share("hard", {Content.HARD, Content.DANGER, Content.NOTHING}) >= FLOOR["hard"]
    assert share("hard_and_good", {Content.MIXED, Content.UNCLEAR}) >= FLOOR["hard_and_good"]
    assert share("glimmer", {Content.GLIMMER}) >= FLOOR["glimmer"]
    assert share("alarming_ordinary", {Content.GLIMMER}) >= FLOOR["alarming_ordinary"]


# The retrain of 2026-12-01 (a fifth helper's examples) lowered ordinary glimmers on F
# from 40 to 38 and raised hard (47 -> 48) and hard-and-good (27 -> 29); see the README.
FLOOR = {"danger": 77, "hard": 48, "hard_and_good": 26, "glimmer": 38, "alarming_ordinary": 34}


def test_the_shipped_screen_was_trained_on_the_examples_there_now():
    """intents/en/screen.npz ships the trained screen; after an edit of screen.yaml, run
    tools/train-screen (a first start would otherwise train for a few seconds)."""
    import numpy as np

    from voice_glimmers.encoder.likeness import fingerprint

    signs = Language.from_dir(ROOT / "intents" / "en").signs
    assert signs.trained is not None
    with np.load(signs.trained, allow_pickle=False) as saved:
        assert str(saved["fingerprint"]) == fingerprint(signs.examples), \
            "screen.yaml changed: run tools/train-screen"


def test_a_first_start_uses_the_shipped_screen_and_trains_nothing(tmp_path):
    from voice_glimmers.encoder.likeness import Likeness

    signs = Language.from_dir(ROOT / "intents" / "en").signs
    likeness = Likeness(signs.examples, cache_dir=tmp_path / "cache", shipped=signs.trained)
    assert not (tmp_path / "cache").exists()  # nothing trained, so nothing cached
    assert likeness.scores("i want to die")["danger"] > 0.5


def test_the_shipped_screen_tunes_the_encoder_itself():
    """screen.npz holds low-rank adapters for the encoder's layers: with them, sentences
    of danger sit nearer each other, and further from ordinary moments told with alarming
    words, than the plain model has them."""
    import numpy as np

    from voice_glimmers.encoder.likeness import read_trained
    from voice_glimmers.encoder.minilm import MiniLM

    signs = Language.from_dir(ROOT / "intents" / "en").signs
    trained = read_trained(signs.trained, 6)
    assert trained is not None and len(trained.adapters) == 30
    danger, ordinary = list(signs.examples["danger"][:20]), list(
        signs.examples["alarming_ordinary"][:20])

    def margin(encoder) -> float:
        d, o = encoder.encode(danger), encoder.encode(ordinary)
        return float((d @ d.T).mean() - (d @ o.T).mean())

    tuned = MiniLM(adapters=trained.adapters, scale=trained.scale)
    assert np.allclose(np.linalg.norm(tuned.encode(danger), axis=1), 1.0, atol=1e-5)
    assert margin(tuned) > margin(MiniLM()) + 0.1


def _few(examples, n=12):
    return {kind: texts[:n] for kind, texts in examples.items()}


def test_after_an_edit_of_the_examples_only_the_classifier_is_trained_again(tmp_path):
    """Examples other than the shipped screen's: the shipped adapters stay, the classifier
    over them is trained at start and cached; the next start reads the cache."""
    from voice_glimmers.encoder.likeness import Likeness

    signs = Language.from_dir(ROOT / "intents" / "en").signs
    examples = _few(signs.examples)
    cache = tmp_path / "cache"
    likeness = Likeness(examples, cache_dir=cache, shipped=signs.trained)
    [made] = list(cache.iterdir())
    assert not made.name.endswith("-plain.npz")  # trained over the tuned encoder
    assert likeness.scores("i want to die")["danger"] > 0.5
    assert likeness.scores("warm socks fresh from the dryer")["glimmer"] > 0.5
    again = Likeness(examples, cache_dir=cache, shipped=signs.trained)
    assert list(cache.iterdir()) == [made]
    assert again.scores("i want to die") == likeness.scores("i want to die")


@pytest.mark.parametrize("damage", [b"", b"not a zip file", b"PK\x03\x04broken"])
def test_a_damaged_shipped_screen_is_not_used_and_not_touched(tmp_path, damage):
    from voice_glimmers.encoder.likeness import Likeness

    signs = Language.from_dir(ROOT / "intents" / "en").signs
    shipped = tmp_path / "screen.npz"
    shipped.write_bytes(damage)
    likeness = Likeness(_few(signs.examples), cache_dir=tmp_path / "cache", shipped=shipped)
    assert shipped.read_bytes() == damage
    [made] = list((tmp_path / "cache").iterdir())
    assert made.name.endswith("-plain.npz")
    assert likeness.scores("i want to die")["danger"] > 0.5


def test_training_without_torch_says_what_to_install(tmp_path):
    """tools/train-screen needs torch, which nothing at run time does: without it, one
    line says what to install, and the shipped screen is left as it was."""
    import subprocess
    import sys

    shipped = ROOT / "intents" / "en" / "screen.npz"
    before = shipped.read_bytes()
    hide = ("import runpy, sys; sys.modules['torch'] = None; "
            f"runpy.run_path({str(ROOT / 'tools' / 'train-screen')!r}, run_name='__main__')")
    done = subprocess.run([sys.executable, "-c", hide], capture_output=True, text=True,
                          cwd=tmp_path, timeout=120)
    assert done.returncode == 1, done.stderr
    assert done.stderr.count("\n") == 1 and "pip install -e '.[train]'" in done.stderr
    assert shipped.read_bytes() == before


@pytest.mark.parametrize("text", [
    "the comedy killed me and i want to kill myself",
    "i was dying of laughter at the party and then i took an overdose",
    "i killed it at karaoke then i cut my wrists",
    "we had a blast at the fireworks then i self harmed",
])
def test_danger_beside_a_happy_idiom_is_still_danger(screen, text):
    """Found in review: a sentence the model read as one happy idiom hid a plain clause of
    danger. The lists always win, and each clause is looked at as well."""
    assert screen.judge(text).content is Content.DANGER


@pytest.mark.parametrize("spoil", ["nan_weights", "inf_adapter", "flat_adapter", "text_scale"])
def test_a_shipped_screen_with_spoilt_numbers_is_not_used(tmp_path, spoil):
    """Numbers that are not finite would make every comparison false and hide all danger;
    arrays of the wrong shape or kind would crash the encoder: none is used."""
    import numpy as np

    from voice_glimmers.encoder.likeness import ADAPTER, Likeness, read_trained

    signs = Language.from_dir(ROOT / "intents" / "en").signs
    with np.load(signs.trained, allow_pickle=False) as saved:
        arrays = {key: saved[key] for key in saved.files}
    first = next(key for key in arrays if key.startswith(ADAPTER) and key.endswith(":a"))
    if spoil == "nan_weights":
        arrays["weights"] = arrays["weights"].copy()
        arrays["weights"][0, 0] = np.nan
    elif spoil == "inf_adapter":
        arrays[first] = arrays[first].astype(np.float32)
        arrays[first][0, 0] = np.inf
    elif spoil == "flat_adapter":
        arrays[first] = arrays[first].ravel()
    else:
        arrays["scale"] = np.array("x")
    spoilt = tmp_path / "screen.npz"
    np.savez(spoilt, **arrays)
    assert read_trained(spoilt, 6) is None
    likeness = Likeness(_few(signs.examples), cache_dir=tmp_path / "cache", shipped=spoilt)
    assert likeness.scores("i want to die")["danger"] > 0.5


def test_a_full_memory_of_verdicts_forgets_the_oldest_and_still_answers():
    """Past JUDGED_KEPT texts, the verdicts used longest ago are forgotten, a few at a
    time, never all at once; a batch that mixes remembered and new texts still gets a
    verdict for each (it once lost the remembered ones and failed)."""
    from voice_glimmers.understand import screen as screening

    language = Language.from_dir(Path(__file__).parent.parent / "intents" / "en")
    lists = Screen(language.signs, language.lexicon)
    kept = screening.JUDGED_KEPT
    texts = [f"the cat by the window number {n}" for n in range(kept + 50)]
    lists.judge_all(texts[:kept - 5])
    mixed = [texts[0], texts[1], *texts[kept - 5:kept + 5]]
    verdicts = lists.judge_all(mixed)
    assert [v.content for v in verdicts] == [Content.GLIMMER] * len(mixed)
    assert len(lists._judged) == kept
    assert texts[0] in lists._judged and texts[1] in lists._judged  # just used: kept
    assert texts[2] not in lists._judged  # the oldest unused went first
    assert texts[kept - 6] in lists._judged  # and only as many as needed
