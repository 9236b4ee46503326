"""The intent registry's validator, like Home Assistant's intents validator: for every
intent in intents/intents.yaml and every language, it names whatever is missing (its
sentences, test sentences, replies, the dialogue's handler, a conversation that reaches
it) instead of letting a forgotten piece fail silently."""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from test_conversations import _conversations, play

from voice_glimmers.app.settings import Settings
from voice_glimmers.dialogue.conversation import Dialogue
from voice_glimmers.language.bundle import Language
from voice_glimmers.language.registry import Kind, Registry, Role
from voice_glimmers.store.glimmer_store import GlimmerStore

ROOT = Path(__file__).resolve().parent.parent
INTENTS = ROOT / "intents"
LANGUAGES = sorted(p.name for p in INTENTS.iterdir() if (p / "sentences").is_dir())


def intents_under_test(folder: Path) -> set[str]:
    """The intents the language's test sentences expect."""
    found = set()
    for path in (folder / "tests").glob("*.yaml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        found |= {group["intent"] for group in data["tests"] if group["intent"]}
    return found


def missing_pieces(registry: Registry, language: Language, folder: Path, handled: frozenset[str],
            conversed: set[str]) -> list[str]:
    """What an intent still needs, one line each; [] when every piece is there."""
    problems = []
    sentences = set(language.intents.names)
    tested = intents_under_test(folder)
    for role in registry:
        name = role.name
        if name not in sentences:
            problems.append(f"{name}: no sentences in {folder.name}/sentences/")
        if name not in tested:
            problems.append(f"{name}: no test sentences in {folder.name}/tests/")
        for key in role.replies:
            if key not in language.phrases.replies:
                problems.append(f"{name}: reply '{key}' is not in {folder.name}/replies.yaml")
        if name not in handled:
            problems.append(f"{name}: the dialogue has no handler for it")
        if name not in conversed:
            problems.append(f"{name}: no conversation in tests/conversations/ reaches it")
    for name in sorted(sentences - set(registry.names)):
        problems.append(f"{name}: has sentences in {folder.name}/ but no entry in intents.yaml")
    for name in sorted(handled - set(registry.names)):
        problems.append(f"{name}: the dialogue handles it but intents.yaml does not list it")
    return problems


@pytest.fixture(scope="module")
def conversed(tmp_path_factory) -> set[str]:
    """Every intent some conversation's reply came from."""
    english = Language.from_dir(INTENTS / "en")
    found: set[str] = set()
    for param in _conversations():
        replies = play(param.values[0], english, tmp_path_factory.mktemp("conversation"))
        found |= {reply.intent for reply in replies if reply.intent}
    return found


def _handled(language: Language) -> frozenset[str]:
    dialogue = Dialogue(GlimmerStore.in_memory(), language, Settings(), rng=random.Random(1))
    return dialogue.handled


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_intent_has_all_its_pieces(lang, conversed):
    language = Language.from_dir(INTENTS / lang)
    registry = Registry.from_dir(INTENTS)
    assert language.registry == registry
    assert missing_pieces(registry, language, INTENTS / lang, _handled(language), conversed) == []


def test_the_validator_names_what_a_new_intent_lacks(conversed):
    """An intent added only to the registry: every missing piece is named."""
    language = Language.from_dir(INTENTS / "en")
    new = Role("water_plants", Kind.REQUEST, "Remind me to water the plants.",
               replies=("plants_watered",))
    registry = replace(language.registry, roles={**language.registry.roles, new.name: new})
    problems = missing_pieces(registry, language, INTENTS / "en", _handled(language), conversed)
    assert problems == [
        "water_plants: no sentences in en/sentences/",
        "water_plants: no test sentences in en/tests/",
        "water_plants: reply 'plants_watered' is not in en/replies.yaml",
        "water_plants: the dialogue has no handler for it",
        "water_plants: no conversation in tests/conversations/ reaches it",
    ]


def test_the_validator_names_sentences_and_handlers_the_registry_lacks(conversed):
    language = Language.from_dir(INTENTS / "en")
    roles = dict(language.registry.roles)
    del roles["privacy"]
    problems = missing_pieces(replace(language.registry, roles=roles), language, INTENTS / "en",
                       _handled(language), conversed)
    assert problems == [
        "privacy: has sentences in en/ but no entry in intents.yaml",
        "privacy: the dialogue handles it but intents.yaml does not list it",
    ]


def test_roles_drive_what_is_never_kept_as_a_glimmer():
    """Every request is a request in the registry: said in answer to 'What was it?', a
    clear one is acted on, never saved (the old list of command names is gone)."""
    registry = Registry.from_dir(INTENTS)
    requests = {role.name for role in registry if role.kind is Kind.REQUEST}
    assert {"list_glimmers", "count_glimmers", "search_glimmers", "random_glimmer", "reflect",
            "delete_last", "help", "privacy", "pause_listening", "resume_listening",
            "repeat", "last_glimmer", "another_glimmer", "delete_about", "correct_last",
            "tag_last"} == requests
    assert registry.with_time_range == ("list_glimmers", "count_glimmers")


@pytest.mark.parametrize("body, problem", [
    ("intents:\n  x: {kind: wish}\n", "kind should be one of capture, request, answer"),
    ("intents:\n  x: {kind: request, colour: blue}\n", "unknown colour"),
    ("intents:\n  x: {kind: request, when: sometimes}\n", "when should be true or false"),
    ("intents:\n  x: {kind: request, replies: hello}\n", "replies should be a list"),
    ("intents: []\n", "needs an 'intents:' mapping"),
])
def test_a_broken_registry_is_one_line_naming_the_file(tmp_path, body, problem):
    from voice_glimmers.core.errors import IntentFileError

    (tmp_path / "intents.yaml").write_text(body, encoding="utf-8")
    with pytest.raises(IntentFileError, match=problem) as caught:
        Registry.from_dir(tmp_path)
    assert "intents.yaml" in str(caught.value) and "\n" not in str(caught.value)
