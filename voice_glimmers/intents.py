"""What people say, as intents: load intents/<lang>/sentences/, `understand(text)`.

Templates are hassil YAML, one file per intent plus `_common.yaml` (skip words,
rules, words speech recognition mishears). Matching runs in layers, each only
when the one before found nothing:

1. hassil, strictly, on the words as heard (lower case, no punctuation or
   apostrophes), then with the time words ("from last week") taken out;
2. the same after mending words that sound like ours ("limmer" -> "glimmer");
3. rapidfuzz against expanded templates, with a threshold and a margin between
   the best and the second-best intent.

Free text ({text}, {query}) is always cut from the words as heard.
"""

from __future__ import annotations

import logging
import random
import re
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, Any

from voice_glimmers.errors import IntentFileError
from voice_glimmers.when import DateRange, WhenSpan, find_when

_LOGGER = logging.getLogger(__name__)

FREE_SLOTS = ("text", "query")
WHEN_INTENTS = ("list_glimmers", "count_glimmers")
FUZZY_THRESHOLD = 84.0  # below this, nothing matched
CAPTURE_THRESHOLD = 90.0  # a false capture writes a stranger's words into a journal
FUZZY_MARGIN = 6.0  # the best intent must beat the next one by this much
MAX_WORDS = 80
SAMPLES_PER_TEMPLATE = 40
_APOSTROPHES = re.compile(r"['’‘`´]")
_NOT_WORD = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class Match:
    """An understood utterance: intent, slots ("text", "query", "when"), score 0..100."""

    intent: str
    slots: dict[str, Any]
    score: float
    text: str

    def to_dict(self) -> dict[str, Any]:
        """The `understand --json` shape."""
        slots = {k: v.to_dict() if isinstance(v, DateRange) else v for k, v in self.slots.items()}
        return {"text": self.text, "intent": self.intent, "slots": slots,
                "score": round(self.score, 1)}


@dataclass(frozen=True)
class _Phrase:
    """One expanded template for the fuzzy layer; `slot` is its wildcard, if any."""

    intent: str
    text: str
    slot: str | None = None
    slot_first: bool = False


@dataclass(frozen=True)
class Intents:
    """The intents of one language, loaded once."""

    language: str
    grammar: Any = field(repr=False)  # hassil.Intents
    examples_of: dict[str, tuple[str, ...]] = field(repr=False)
    skip_words: tuple[tuple[str, ...], ...] = field(repr=False)
    hesitations: frozenset[str] = field(repr=False)
    question_words: frozenset[str] = field(repr=False)
    misheard: dict[str, str] = field(repr=False)
    vocabulary: frozenset[str] = field(repr=False)
    required: dict[str, frozenset[str]] = field(repr=False)
    phrases: tuple[_Phrase, ...] = field(repr=False)

    @classmethod
    def from_dir(cls, folder: Path) -> Intents:
        """Load `folder`/sentences/*.yaml, where folder is e.g. intents/en."""
        files = sorted(Path(folder, "sentences").glob("*.yaml"))
        if not files:
            raise IntentFileError(f"{folder}: no intent files in {Path(folder, 'sentences')}")
        streams: list[IO[str]] = []
        try:
            for path in files:
                streams.append(path.open(encoding="utf-8"))
            return cls.from_yaml(*streams)
        except (OSError, UnicodeDecodeError) as err:
            raise IntentFileError(f"{folder}: an intent file cannot be read: {err}") from None
        finally:
            for stream in streams:
                stream.close()

    @classmethod
    def from_yaml(cls, *streams: IO[str]) -> Intents:
        """Load from open YAML streams; a stream's `name` names it in errors."""
        return _build(streams)

    @property
    def names(self) -> list[str]:
        return sorted(self.grammar.intents)

    def examples(self, intent: str, n: int = 3) -> list[str]:
        """A few natural example phrases for an intent (for help)."""
        return list(self.examples_of.get(intent, ()))[:n]

    # --- words ------------------------------------------------------------

    def words(self, text: str) -> list[str]:
        """Lower-case words without punctuation; "here's" becomes "heres"."""
        return _NOT_WORD.sub(" ", _APOSTROPHES.sub("", text.lower())).split()

    def mend(self, words: list[str]) -> list[str]:
        """Words that sound like ours replaced by ours, one for one."""
        from rapidfuzz import fuzz, process

        mended = []
        for word in words:
            if word in self.misheard:
                word = self.misheard[word]
            elif word not in self.vocabulary and len(word) >= 5 and word.isalpha():
                best = process.extractOne(word, self.vocabulary, scorer=fuzz.ratio,
                                          processor=None, score_cutoff=85)
                word = best[0] if best else word
            mended.append(word)
        return mended

    def trim(self, words: list[str]) -> list[str]:
        """Free text without hesitations, and without skip words at either end."""
        words = [w for w in words if w not in self.hesitations]
        changed = True
        while words and changed:
            changed = False
            for skip in self.skip_words:
                n = len(skip)
                if tuple(words[:n]) == skip:
                    words, changed = words[n:], True
                elif len(words) >= n and tuple(words[-n:]) == skip:
                    words, changed = words[:-n], True
        return words

    # --- matching -----------------------------------------------------------

    def strict(self, words: list[str]) -> tuple[str, tuple[str, int, int] | None] | None:
        """hassil's best match: (intent, (slot, first word, word after)) or None."""
        from hassil import recognize_best

        text = " ".join(words)
        result = recognize_best(text, self.grammar)
        if result is None:
            return None
        for name in FREE_SLOTS:
            entity = result.entities.get(name)
            if entity is not None:
                return result.intent.name, _word_span(name, entity, words)
        return result.intent.name, None

    def fuzzy(self, words: list[str]) -> tuple[str, tuple[str, int, int] | None, float] | None:
        """The clear best fuzzy match of words to expanded templates, or None."""
        from rapidfuzz import fuzz

        at = [i for i, w in enumerate(words) if w not in self.hesitations]
        said = [words[i] for i in at]
        whole = " ".join(said)
        best: dict[str, tuple[float, tuple[str, int, int] | None]] = {}
        for phrase in self.phrases:
            if phrase.slot is None:
                score, span = fuzz.ratio(whole, phrase.text, processor=None), None
            else:
                score, span = self._fuzzy_head(phrase, said, at)
            if score > best.get(phrase.intent, (0.0, None))[0]:
                best[phrase.intent] = (score, span)
        ranked = sorted(best.items(), key=lambda item: -item[1][0])
        if not ranked:
            return None
        intent, (score, span) = ranked[0]
        runner_up = ranked[1][1][0] if len(ranked) > 1 else 0.0
        needed = CAPTURE_THRESHOLD if intent == "capture_glimmer" else FUZZY_THRESHOLD
        if score < needed or score - runner_up < FUZZY_MARGIN:
            _LOGGER.debug("no clear fuzzy match for %r: %s", whole, ranked[:2])
            return None
        required = self.required.get(intent)
        if required:
            free = range(span[1], span[2]) if span else range(0)
            if required.isdisjoint(w for i, w in enumerate(words) if i not in free):
                return None
        return intent, span, score

    def _fuzzy_head(
        self, phrase: _Phrase, said: list[str], at: list[int]
    ) -> tuple[float, tuple[str, int, int] | None]:
        """Score the trigger words of a wildcard template against either end of `said`."""
        from rapidfuzz import fuzz

        size = phrase.text.count(" ") + 1
        best: tuple[float, tuple[str, int, int] | None] = (0.0, None)
        for n in (size - 1, size, size + 1):
            if not 0 < n < len(said):
                continue
            part = said[-n:] if phrase.slot_first else said[:n]
            score = fuzz.ratio(" ".join(part), phrase.text, processor=None)
            if score > best[0]:
                free = at[: len(said) - n] if phrase.slot_first else at[n:]
                best = (score, (str(phrase.slot), free[0], free[-1] + 1))
        return best


def _build(streams: tuple[IO[str], ...]) -> Intents:
    """Read, check and merge intent files, then expand templates for the fuzzy layer."""
    import yaml
    from hassil import Intents as Grammar
    from hassil.util import merge_dict

    merged: dict[str, Any] = {}
    home: dict[str, str] = {}  # intent -> the file it is in
    for stream in streams:
        name = str(getattr(stream, "name", "<intent file>"))
        try:
            data = yaml.safe_load(stream)
        except yaml.YAMLError as err:
            raise IntentFileError(f"{name}: not valid YAML: {err}".replace("\n", " ")) from None
        _check_file(name, data, merged.get("language"))
        for intent in data.get("intents", {}):
            if intent in home:
                raise IntentFileError(f"{name}: intent {intent!r} is already in {home[intent]}")
            home[intent] = name
        merge_dict(merged, data)
    if not home:
        raise IntentFileError("no intents found in the intent files")
    try:
        grammar = Grammar.from_dict(merged)
    except Exception as err:  # hassil raises plain errors for bad lists and rules
        raise IntentFileError(f"{', '.join(sorted(set(home.values())))}: {err}") from None
    phrases: list[_Phrase] = []
    for intent in grammar.intents.values():
        try:
            phrases += _expand(grammar, intent)
        except Exception as err:  # e.g. a missing <rule> or {list}
            raise IntentFileError(f"{home[intent.name]}: intent {intent.name!r}: {err}") from None
    skip = tuple(tuple(w.split()) for w in merged.get("skip_words", []))
    vocabulary = {w for p in phrases for w in p.text.split()} | {w for s in skip for w in s}
    return Intents(
        language=str(merged["language"]),
        grammar=grammar,
        examples_of={k: tuple(v.get("examples", ())) for k, v in merged["intents"].items()},
        skip_words=tuple(sorted(skip, key=len, reverse=True)),
        hesitations=frozenset(merged.get("hesitations", ())),
        question_words=frozenset(merged.get("question_words", ())),
        misheard={str(k): str(v) for k, v in merged.get("misheard", {}).items()},
        vocabulary=frozenset(vocabulary),
        required={i.name: frozenset(k for d in i.data for k in d.required_keywords or ())
                  for i in grammar.intents.values()},
        phrases=tuple(dict.fromkeys(phrases)),
    )


def _check_file(name: str, data: Any, language: str | None) -> None:
    """Raise IntentFileError naming the file and the first problem found."""
    from hassil import parse_sentence

    if not isinstance(data, dict):
        raise IntentFileError(f"{name}: expected a mapping with 'language' and 'intents'")
    if not isinstance(data.get("language"), str):
        raise IntentFileError(f"{name}: 'language' is missing or not text")
    if language is not None and data["language"] != language:
        raise IntentFileError(f"{name}: language {data['language']!r}, others say {language!r}")
    intents = data.get("intents", {})
    if not isinstance(intents, dict):
        raise IntentFileError(f"{name}: 'intents' must be a mapping of intent names")
    for intent, body in intents.items():
        if not isinstance(intent, str):
            raise IntentFileError(f"{name}: intent name {intent!r} is not text (quote it)")
        blocks = body.get("data") if isinstance(body, dict) else None
        if not isinstance(blocks, list) or not blocks:
            raise IntentFileError(f"{name}: intent {intent!r} needs a 'data' list")
        for block in blocks:
            sentences = block.get("sentences") if isinstance(block, dict) else None
            if not isinstance(sentences, list) or not sentences:
                raise IntentFileError(f"{name}: intent {intent!r}: each data entry needs "
                                      "a 'sentences' list")
            for sentence in sentences:
                try:
                    if not isinstance(sentence, str):
                        raise ValueError("not text")
                    parse_sentence(sentence)
                except Exception as err:  # hassil's parse errors share no base class
                    raise IntentFileError(f"{name}: intent {intent!r}: template {sentence!r} "
                                          f"cannot be read: {err}") from None


def _expand(grammar: Any, intent: Any) -> list[_Phrase]:
    """Sample each template (seeded, so the same every run) into plain phrases."""
    rng = random.Random(intent.name)
    phrases = []
    for data in intent.data:
        rules = {**grammar.expansion_rules, **data.expansion_rules}
        lists = {**grammar.slot_lists, **data.slot_lists}
        for sentence in data.sentences:
            for _ in range(SAMPLES_PER_TEMPLATE):
                words = " ".join(_sample(sentence.expression, rules, lists, rng)).split()
                slot = next((w[1:-1] for w in words if w[1:-1] in FREE_SLOTS), None)
                if slot is None:
                    phrases.append(_Phrase(intent.name, " ".join(words)))
                    continue
                first = words[0] == "{" + slot + "}"
                trigger = [w for w in words if w != "{" + slot + "}"]
                if trigger:
                    phrases.append(_Phrase(intent.name, " ".join(trigger), slot, first))
    return phrases


def _sample(expression: Any, rules: dict[str, Any], lists: dict[str, Any], rng: random.Random):
    """One random way of saying an expression, as text pieces."""
    from hassil.errors import MissingListError, MissingRuleError
    from hassil.expression import Alternative, Group, ListReference, RuleReference, TextChunk

    if isinstance(expression, TextChunk):
        yield expression.text.strip()
    elif isinstance(expression, Alternative):
        yield from _sample(rng.choice(expression.items), rules, lists, rng)
    elif isinstance(expression, Group):
        for item in expression.items:
            yield from _sample(item, rules, lists, rng)
    elif isinstance(expression, RuleReference):
        if expression.rule_name not in rules:
            raise MissingRuleError(f"unknown rule <{expression.rule_name}>")
        yield from _sample(rules[expression.rule_name].expression, rules, lists, rng)
    elif isinstance(expression, ListReference):
        if expression.list_name not in lists:
            raise MissingListError(f"unknown list {{{expression.list_name}}}")
        yield "{" + expression.slot_name + "}"


def _word_span(name: str, entity: Any, words: list[str]) -> tuple[str, int, int]:
    """Which words a hassil entity covers, from its character span."""
    starts, offset = [], 0
    for word in words:
        starts.append(offset)
        offset += len(word) + 1
    if entity.text_span is not None:
        begin, end = entity.text_span
    else:  # pragma: no cover - hassil 3.12 always reports spans
        text = entity.text.strip()
        begin = " ".join(words).rfind(text)
        end = begin + len(text)
    return name, bisect_right(starts, begin) - 1, bisect_right(starts, max(begin, end - 1))


def understand(
    text: str, intents: Intents, *, today: date, week_start: int = 0
) -> Match | None:
    """The intent and slots of one utterance, or None when it is not for us."""
    from rapidfuzz import fuzz

    words = intents.words(text)
    if not words or len(words) > MAX_WORDS:
        return None
    fixed = intents.mend(words)
    when = find_when(" ".join(fixed), today, week_start=week_start)
    mend_score = fuzz.ratio(" ".join(words), " ".join(fixed), processor=None)
    attempts: list[tuple[list[str], WhenSpan | None]] = [(words, None)]
    if when is not None:
        attempts.append((words, when))
    if fixed != words:
        attempts.append((fixed, None))
        if when is not None:
            attempts.append((fixed, when))
    for source, drop in attempts:
        where = [i for i in range(len(source)) if drop is None or not drop.start <= i < drop.end]
        found = intents.strict([source[i] for i in where])
        if found is None:
            continue
        slots = _slots(intents, found[0], found[1], where, words, when, today)
        if slots is not None:
            return Match(found[0], slots, 100.0 if source is words else mend_score, text)
    where = [i for i in range(len(fixed)) if when is None or not when.start <= i < when.end]
    fuzzy = intents.fuzzy([fixed[i] for i in where])
    if fuzzy is not None:
        slots = _slots(intents, fuzzy[0], fuzzy[1], where, words, when, today)
        if slots is not None:
            return Match(fuzzy[0], slots, fuzzy[2], text)
    return None


def _slots(
    intents: Intents,
    intent: str,
    span: tuple[str, int, int] | None,
    where: list[int],
    words: list[str],
    when: WhenSpan | None,
    today: date,
) -> dict[str, Any] | None:
    """Slots for a match, or None when its free text is unusable (try the next layer)."""
    slots: dict[str, Any] = {}
    if span is not None:
        name, first, last = span
        positions = where[first:last]
        if when is not None and all(when.start <= i < when.end for i in positions):
            return None  # "glimmers from last week": time words are not a glimmer
        free = intents.trim([words[i] for i in positions])
        if name == "text" and free and free[0] in intents.question_words:
            return None  # "what is a glimmer" is a question, not a glimmer
        if free:
            slots[name] = " ".join(free)
        elif name == "query":
            return None
    if intent in WHEN_INTENTS:
        slots["when"] = when.range if when is not None else DateRange(today, today)
    return slots


def describe(match: Match | None) -> str:
    """One readable line for a match (for `understand` without --json)."""
    if match is None:
        return "(no intent)"
    parts = [f"{k}={v.start}..{v.end}" if isinstance(v, DateRange) else f"{k}={v!r}"
             for k, v in match.slots.items()]
    return " ".join([match.intent, *parts, f"(score {match.score:.0f})"])
