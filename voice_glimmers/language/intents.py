"""The sentences of a language: intents/<lang>/sentences/*.yaml, checked and loaded.

Templates are hassil YAML, one file per intent plus `_common.yaml` (skip words,
rules, words speech recognition mishears). Loading checks each file, builds
hassil's grammar, finds each intent's anchors and expands the templates into the
phrase table the fuzzy layer ranks against. Only `<folder>/sentences/*.yaml` is
read, so other data can live beside it (replies, tags, safety) and a language is
just another folder. Any problem is an IntentFileError naming the file and what
is wrong. Matching lives in understand/.
"""

from __future__ import annotations

import io
import os
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from voice_glimmers.core.errors import IntentFileError
from voice_glimmers.core.words import plain_words
from voice_glimmers.language.datafile import packaged_intents, read_text_file, read_yaml
from voice_glimmers.language.phrase_table import FREE_SLOTS, Phrase, PhraseTable
from voice_glimmers.language.registry import Registry

EXPANSIONS_PER_TEMPLATE = 150  # templates with more ways of saying them are sampled
WORD_LISTS = ("skip_words", "hesitations", "not_glimmer_starts", "not_query_starts",
              "word_talked_about",
              "lead_ins", "tail_offs", "softeners", "time_links", "place_words",
              "sentence_end_words", "sentence_end_after")
Node = Any  # str | ("seq" | "alt" | "opt", tuple[Node, ...]); "opt" ends with ""
MAX_HEDGE_WORDS = 6  # the longest lead-in or tail-off, in words
EXPANSIONS_FILE = "expansions.json"  # the phrase table, beside sentences/ (tools/expand-templates)
EXPANSION_RULES = 1  # one more whenever _phrases, _every or _sampler say things differently


@dataclass(frozen=True, eq=False)
class Intents:
    """The intents of one language, loaded once; understand/ matches against them."""

    language: str
    registry: Registry = field(repr=False)  # every intent's role
    wake_word: str  # the word every template wakes the assistant with ("glimmer")
    time_links: frozenset[str] = field(repr=False)
    place_words: frozenset[str] = field(repr=False)
    sentence_end_words: frozenset[str] = field(repr=False)
    sentence_end_after: frozenset[str] = field(repr=False)
    grammar: Any = field(repr=False)  # hassil.Intents
    examples_of: dict[str, tuple[str, ...]] = field(repr=False)
    skip_words: tuple[tuple[str, ...], ...] = field(repr=False)
    hesitations: frozenset[str] = field(repr=False)
    not_glimmer_starts: frozenset[str] = field(repr=False)
    not_query_starts: frozenset[str] = field(repr=False)
    word_talked_about: frozenset[str] = field(repr=False)  # "glimmer of hope": not asked
    misheard: dict[str, str] = field(repr=False)
    lead_ins: dict[str, tuple[tuple[str, ...], ...]] = field(repr=False)  # by first word
    tail_offs: dict[str, tuple[tuple[str, ...], ...]] = field(repr=False)  # by last, reversed
    softeners: frozenset[str] = field(repr=False)
    vocabulary: dict[str, frozenset[str] | None] = field(repr=False)  # None: has free text
    anchors: dict[str, frozenset[str] | None] = field(repr=False)  # one is in every template
    required: dict[str, frozenset[str]] = field(repr=False)
    table: PhraseTable = field(repr=False)
    expansion_key: str = field(repr=False)  # what the table is made from (expansion_key())
    known: frozenset[str] = field(repr=False)  # every word of every template
    skip_tokens: frozenset[str] = field(repr=False)

    @classmethod
    def from_dir(cls, folder: Path) -> Intents:
        """Load `folder`/sentences/*.yaml, where folder is e.g. intents/en."""
        return load_dir(Path(folder))

    @classmethod
    def from_yaml(cls, *streams: IO[str], registry: Registry | None = None) -> Intents:
        """Load from open YAML streams; a stream's `name` names it in errors."""
        return load_streams(streams, registry)

    @property
    def names(self) -> list[str]:
        return sorted(self.grammar.intents)

    def examples(self, intent: str, n: int = 3) -> list[str]:
        """A few natural example phrases for an intent (for help)."""
        return list(self.examples_of.get(intent, ()))[:n]

    def words(self, text: str) -> list[str]:
        """Lower-case words without punctuation; "here's" becomes "heres"."""
        return plain_words(text)


def load_dir(folder: Path, registry: Registry | None = None, *, expanded: bool = True) -> Intents:
    """`folder`/sentences/*.yaml; with the phrase table kept beside them when it is
    theirs (and `expanded`)."""
    files = sorted((folder / "sentences").glob("*.yaml"))
    if not files:
        raise IntentFileError(f"{folder}: no intent files in {folder / 'sentences'}")
    streams: list[IO[str]] = []
    for path in files:
        stream = io.StringIO(read_text_file(path))
        stream.name = str(path)  # type: ignore[attr-defined]  # for load_streams' messages
        streams.append(stream)
    return load_streams(streams, registry or Registry.beside(folder),
                        folder / EXPANSIONS_FILE if expanded else None)


def load_streams(streams: Sequence[IO[str]], registry: Registry | None = None,
                 expanded: Path | None = None) -> Intents:
    """The intents of these files; their phrase table read from `expanded` when that holds
    the expansions of these very templates (see write_expansions), else expanded here."""
    from hassil import Intents as Grammar
    from hassil.util import merge_dict

    merged: dict[str, Any] = {}
    home: dict[str, str] = {}  # intent -> the file it is in
    for stream in streams:
        name = str(getattr(stream, "name", "<intent file>"))
        data = read_yaml(stream, name)
        _check_file(name, data, merged.get("language"))
        for intent in data.get("intents", {}):
            if intent in home:
                raise IntentFileError(f"{name}: intent {intent!r} is already in {home[intent]}")
            home[intent] = name
        merge_dict(merged, data)
    if not home:
        raise IntentFileError("the intent files hold no intents")
    try:
        grammar = Grammar.from_dict(merged)
    except Exception as err:  # hassil raises plain errors for bad lists and rules
        raise IntentFileError(f"{', '.join(sorted(set(home.values())))}: {err}") from None
    skip = tuple(sorted((tuple(str(w).split()) for w in merged.get("skip_words", [])),
                        key=len, reverse=True))
    skip_tokens = {w for s in skip for w in s}
    nodes_of: dict[str, list[Node]] = {}
    vocabulary: dict[str, frozenset[str] | None] = {}
    anchors: dict[str, frozenset[str] | None] = {}
    for intent in grammar.intents.values():
        try:
            nodes = nodes_of[intent.name] = _compile_intent(grammar, intent)
        except Exception as err:  # a template hassil cannot parse, a missing <rule>
            raise IntentFileError(f"{home[intent.name]}: intent {intent.name!r}: {err}") from None
        said = {w for node in nodes for w in _texts(node)}
        vocabulary[intent.name] = None if any(w.startswith("{") for w in said) else frozenset(
            said | skip_tokens)
        anchors[intent.name] = _any_of([_anchor(node, skip_tokens) for node in nodes])
    key = expansion_key(nodes_of)
    table = read_expansions(expanded, key) if expanded else None
    if table is None:
        table = expand(nodes_of)
    wake = merged.get("wake_word", "")
    if not isinstance(wake, str) or len(wake.split()) > 1:
        raise IntentFileError(f"{', '.join(sorted(set(home.values())))}: wake_word should be "
                              "the one word every template wakes the assistant with")

    def words(key: str) -> frozenset[str]:
        return frozenset(map(str, merged.get(key, ())))

    return Intents(
        language=str(merged["language"]),
        registry=registry or Registry.from_dir(packaged_intents()),
        wake_word=wake,
        time_links=words("time_links"),
        place_words=words("place_words"),
        sentence_end_words=words("sentence_end_words"),
        sentence_end_after=words("sentence_end_after"),
        grammar=grammar,
        examples_of={k: tuple(map(str, v.get("examples", ())))
                     for k, v in merged["intents"].items()},
        skip_words=skip,
        hesitations=words("hesitations"),
        not_glimmer_starts=words("not_glimmer_starts"),
        not_query_starts=words("not_query_starts"),
        word_talked_about=words("word_talked_about"),
        misheard={str(k): str(v) for k, v in merged.get("misheard", {}).items()},
        lead_ins=_by_first_word([*merged.get("skip_words", ()), *merged.get("lead_ins", ())]),
        tail_offs=_by_first_word([*merged.get("skip_words", ()), *merged.get("tail_offs", ())],
                                 backwards=True),
        softeners=words("softeners"),
        vocabulary=vocabulary,
        anchors=anchors,
        required={i.name: frozenset(k for d in i.data for k in d.required_keywords or ())
                  for i in grammar.intents.values()},
        table=table,
        expansion_key=key,
        known=frozenset(w for p in table.phrases() for w in p.words) | skip_tokens,
        skip_tokens=frozenset(skip_tokens),
    )


def _by_first_word(phrases: Any, backwards: bool = False) -> dict[str, tuple[tuple[str, ...], ...]]:
    """Phrases as word tuples (reversed if `backwards`) by first word, longest first.

    Lead-ins and tail-offs: the skip words are both.
    """
    found: dict[str, list[tuple[str, ...]]] = {}
    for phrase in phrases:
        words = tuple(str(phrase).split())[::-1 if backwards else 1]
        if words and len(words) <= MAX_HEDGE_WORDS:
            found.setdefault(words[0], []).append(words)
        elif words:
            raise IntentFileError(
                f"lead-in or tail-off {phrase!r}: more than {MAX_HEDGE_WORDS} words")
    return {w: tuple(sorted(set(p), key=len, reverse=True)) for w, p in found.items()}


def _check_file(name: str, data: Any, language: str | None) -> None:
    """Raise IntentFileError naming the file and the first problem in its shape."""
    if not isinstance(data, dict):
        raise IntentFileError(f"{name}: expected a mapping with 'language' and 'intents'")
    if not isinstance(data.get("language"), str):
        raise IntentFileError(f"{name}: 'language' is missing or not text")
    if language is not None and data["language"] != language:
        raise IntentFileError(f"{name}: language {data['language']!r}, other files say "
                              f"{language!r}")
    for key in WORD_LISTS:
        words = data.get(key, [])
        if not isinstance(words, list):
            raise IntentFileError(f"{name}: {key!r} must be a list of words")
        for word in words:
            if not isinstance(word, str):  # YAML reads a bare no, on, yes as true or false
                raise IntentFileError(f"{name}: {key!r}: {word!r} is not text (put it in quotes)")
    intents = data.get("intents", {})
    if not isinstance(intents, dict):
        raise IntentFileError(f"{name}: 'intents' must map intent names to their data")
    for intent, body in intents.items():
        if not isinstance(intent, str):
            raise IntentFileError(f"{name}: intent name {intent!r} is not text (put it in quotes)")
        blocks = body.get("data") if isinstance(body, dict) else None
        if not isinstance(blocks, list) or not blocks:
            raise IntentFileError(f"{name}: intent {intent!r} needs a 'data' list")
        for block in blocks:
            sentences = block.get("sentences") if isinstance(block, dict) else None
            if not isinstance(sentences, list) or not sentences or not all(
                isinstance(s, str) and s.strip() for s in sentences
            ):
                raise IntentFileError(f"{name}: intent {intent!r}: each 'data' entry needs a "
                                      "'sentences' list of templates")


def _compile_intent(grammar: Any, intent: Any) -> list[Node]:
    """Parse an intent's templates (hassil, once) into small trees of words."""
    from hassil import parse_sentence

    nodes = []
    for data in intent.data:
        rules = {**grammar.expansion_rules, **data.expansion_rules}
        lists = {**grammar.slot_lists, **data.slot_lists}
        try:
            sentences = data.sentences  # hassil parses lazily: do it now, once
        except Exception:
            for text in data.sentence_texts:  # find the template to name
                try:
                    parse_sentence(text)
                except Exception as err:
                    raise ValueError(f"template {text!r} cannot be read: {err}") from None
            raise
        for sentence in sentences:
            try:
                nodes.append(_compile(sentence.expression, rules, lists, 0))
                sentence.get_required_clauses(rules)
            except Exception as err:
                raise ValueError(f"template {sentence.text!r}: {err}") from None
    return nodes


def _compile(expression: Any, rules: dict[str, Any], lists: dict[str, Any], depth: int) -> Node:
    from hassil.expression import Alternative, Group, ListReference, RuleReference, TextChunk

    if depth > 20:
        raise ValueError("rules refer to each other without end")
    if isinstance(expression, TextChunk):
        return " ".join(expression.text.split())
    if isinstance(expression, Group):
        children = tuple(_compile(e, rules, lists, depth + 1) for e in expression.items)
        if isinstance(expression, Alternative):
            return "opt" if expression.is_optional else "alt", children
        children = tuple(c for c in children if c != "")
        if all(isinstance(c, str) for c in children):  # plain words: one string, faster to expand
            return " ".join(children)
        return children[0] if len(children) == 1 else ("seq", children)
    if isinstance(expression, RuleReference):
        if expression.rule_name not in rules:
            raise ValueError(f"unknown rule <{expression.rule_name}>")
        return _compile(rules[expression.rule_name].expression, rules, lists, depth + 1)
    if isinstance(expression, ListReference):
        if expression.list_name not in lists:
            raise ValueError(f"unknown list {{{expression.list_name}}}")
        return "{" + expression.slot_name + "}"
    raise ValueError(f"unsupported template part {expression!r}")


def _anchor(node: Node, skip: set[str]) -> frozenset[str] | None:
    """Words of which every way of saying `node` has one (None: no such words).

    Skip words and free text do not count: hassil may match without them.
    """
    if isinstance(node, str):
        said = [w for w in node.split() if not w.startswith("{") and w not in skip]
        return frozenset([max(reversed(said), key=len)]) if said else None
    kind, children = node
    if kind == "opt":
        return None
    found = [_anchor(child, skip) for child in children]
    if kind == "alt":
        return _any_of(found)
    # Any child's words will do: the fewest, but short ones ("for", "the") only if need be.
    return min((a for a in found if a is not None), default=None,
               key=lambda a: (min(map(len, a)) <= 3, len(a)))


def _any_of(anchors: list[frozenset[str] | None]) -> frozenset[str] | None:
    """The anchors of saying any one of several things: all of theirs, if each has some."""
    found: set[str] = set()
    for anchor in anchors:
        if anchor is None:
            return None
        found |= anchor
    return frozenset(found)


def _texts(node: Node) -> Iterator[str]:
    if isinstance(node, str):
        yield from node.split()
    else:
        for child in node[1]:
            yield from _texts(child)


def _count(node: Node) -> int:
    if isinstance(node, str):
        return 1
    counts = [_count(child) for child in node[1]]
    if node[0] != "seq":
        return sum(counts)
    total = 1
    for count in counts:
        total *= count
    return total


def _every(node: Node) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif node[0] != "seq":
        for child in node[1]:
            yield from _every(child)
    else:
        yield from _every_seq(node[1])


def _every_seq(children: tuple[Node, ...]) -> Iterator[str]:
    if not children:
        yield ""
        return
    for head in _every(children[0]):
        for tail in _every_seq(children[1:]):
            yield f"{head} {tail}"


def _sampler(node: Node) -> Callable[[random.Random], str]:
    """A function saying `node` one way at random: optional words left out half of the time.

    Built once per template, so that sampling its many ways of saying it walks no tree."""
    if node.__class__ is str:
        return lambda rng: node
    kind, children = node
    parts = [_sampler(child) for child in children]
    if kind == "seq":
        return lambda rng: " ".join([part(rng) for part in parts])
    if kind == "opt":
        chosen = parts[:-1] or parts  # the last of an "opt" is its empty way

        def optional(rng: random.Random) -> str:
            return "" if rng.random() < 0.5 else rng.choice(chosen)(rng)

        return optional
    return lambda rng: rng.choice(parts)(rng)


def expand(nodes_of: dict[str, list[Node]]) -> PhraseTable:
    """The phrase table of these intents' templates (as parsed by _compile_intent)."""
    return PhraseTable.from_phrases(
        [phrase for intent, nodes in nodes_of.items() for phrase in _phrases(intent, nodes)])


def expansion_key(nodes_of: dict[str, list[Node]]) -> str:
    """What a phrase table is made from: the templates as parsed, and how they are said."""
    import hashlib

    made_of = repr((EXPANSION_RULES, EXPANSIONS_PER_TEMPLATE, FREE_SLOTS, list(nodes_of.items())))
    return hashlib.sha256(made_of.encode("utf-8")).hexdigest()


def read_expansions(path: Path, key: str) -> PhraseTable | None:
    """The phrase table kept in `path`, if it was expanded from these templates.

    Expanding them takes about a third of loading a language (100 to 150 ms), so the
    table ships beside them. Missing, unreadable or made from other templates: None, and
    the templates are expanded again (a language being written need not keep one)."""
    import json

    try:
        data = json.loads(read_text_file(path))
    except (IntentFileError, ValueError):
        return None
    return PhraseTable.from_data(data, key)


def write_expansions(folder: Path) -> Path:
    """Expand `folder`/sentences/ afresh and keep the table beside them
    (tools/expand-templates, after a template changes)."""
    import json

    from voice_glimmers.core.files import write_atomically

    intents = load_dir(folder, expanded=False)
    data = intents.table.to_data(intents.expansion_key)
    path = folder / EXPANSIONS_FILE
    os.close(write_atomically(path, json.dumps(data, separators=(",", ":")).encode("utf-8")))
    return path


def _phrases(intent: str, nodes: list[Node]) -> list[Phrase]:
    """Ways of saying each template: all of them, or a seeded sample of large ones."""
    rng = random.Random(intent)
    phrases = []
    for node in nodes:
        if _count(node) <= EXPANSIONS_PER_TEMPLATE:
            texts = list(_every(node))
        else:
            say = _sampler(node)
            texts = [say(rng) for _ in range(EXPANSIONS_PER_TEMPLATE)]
        for text in texts:
            words = tuple(text.split())
            slot = None
            if "{" in text:
                slot = next((w[1:-1] for w in words if w[1:-1] in FREE_SLOTS), None)
            if slot is None:
                phrases.append(Phrase(intent, words))
                continue
            trigger = tuple(w for w in words if w != "{" + slot + "}")
            if trigger:
                phrases.append(Phrase(intent, trigger, slot, words[0] == "{" + slot + "}"))
    return phrases
