"""What every command gets: the settings, the clock, the parsed arguments, and the store."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from voice_glimmers.app.settings import Settings, load_settings
from voice_glimmers.core.clock import Clock, PinnedClock, parse_moment, system_clock
from voice_glimmers.core.errors import GlimmersError

if TYPE_CHECKING:
    from voice_glimmers.core.protocols import Likeness, Senses
    from voice_glimmers.language.bundle import Language
    from voice_glimmers.store.glimmer_store import GlimmerStore
    from voice_glimmers.understand.meaning import Meaning
    from voice_glimmers.understand.screen import Screen


def open_store(settings: Settings, clock: Clock, notices: TextIO | None = None, *,
               create: bool = True) -> GlimmerStore:
    """The person's store; anything it has to tell them (a restored backup, a damaged
    record, loose permissions) goes to stderr as it happens. With `create=False`, for
    the commands that only read, a missing database is empty and nothing is made.

    Backups and set-aside files are named by the system clock, whatever `clock`
    (a pinned --now) says: a backup named in the future would win every recovery.
    """
    from voice_glimmers.store.glimmer_store import GlimmerStore

    return GlimmerStore.open(
        settings.db_path, day_start_hour=settings.day_start_hour, clock=system_clock,
        create=create, on_notice=lambda notice: print(notice, file=notices or sys.stderr),
    )


@dataclass(frozen=True)
class Context:
    """What every command gets: settings, the clock, and the parsed arguments."""

    settings: Settings
    clock: Clock
    args: argparse.Namespace

    def open_store(self, *, create: bool = True) -> GlimmerStore:
        return open_store(self.settings, self.clock, create=create)


def make_context(args: argparse.Namespace) -> Context:
    settings = load_settings()
    if args.db is not None:
        if not args.db.strip():
            raise GlimmersError("--db needs a file name, such as --db ~/glimmers.json")
        settings = settings.with_overrides(db_path=Path(args.db))
    if settings.db_path.is_dir():
        raise GlimmersError(f"The glimmer database {settings.db_path} is a folder, not a file; "
                            f"name a file, such as {settings.db_path / 'glimmers.json'}")
    now_text = args.now or os.environ.get("VOICE_GLIMMERS_NOW")
    clock: Clock = PinnedClock(parse_moment(now_text)) if now_text else system_clock
    return Context(settings=settings, clock=clock, args=args)


def load_likeness(language: Language) -> Likeness | None:
    """The sentence model's likeness to the language's labelled examples; None (the phrase
    lists alone, said in one line) when the model is not installed."""
    if not language.signs.examples:
        return None
    from voice_glimmers.app.settings import user_cache_dir
    from voice_glimmers.encoder.likeness import Likeness
    from voice_glimmers.encoder.minilm import EncoderMissing

    try:
        return Likeness(language.signs.examples, cache_dir=user_cache_dir() / "screen",
                        shipped=language.signs.trained)
    except EncoderMissing as err:
        print(f"voice-glimmers: {err}; until then only the phrase lists screen what is said",
              file=sys.stderr)
        return None


def meaning_examples_of(language: Language) -> dict[str, tuple[str, ...]]:
    """What the layer that generalises is trained on (understand.meaning.meaning_examples),
    with the language's own requests that no intent does yet (intents/<lang>/meaning.yaml)."""
    import yaml

    from voice_glimmers.app.settings import intents_dir
    from voice_glimmers.understand.meaning import meaning_examples

    extra = intents_dir() / language.intents.language / "meaning.yaml"
    data = yaml.safe_load(extra.read_text(encoding="utf-8")) if extra.is_file() else {}
    other = {kind: tuple(str(t) for t in texts) for kind, texts in (data or {}).items()
             if isinstance(texts, list)}
    return meaning_examples(language.intents, language.signs.examples.get("glimmer", ()), other)


def _meaning_is_trained(examples: dict[str, tuple[str, ...]], shipped: Path,
                        cache_dir: Path) -> bool:
    """Whether the layer's classifier for these examples is shipped or cached."""
    from voice_glimmers.encoder.likeness import fingerprint, read_trained

    kinds = {kind: texts for kind, texts in examples.items() if texts}
    name = fingerprint(kinds)
    found = read_trained(shipped, len(kinds))
    return (found is not None and found.fingerprint == name) or any(
        cache_dir.glob(f"screen-{name}-*.npz"))


def load_meaning(language: Language) -> Meaning | None:
    """The layer that generalises (understand.meaning): the plain sentence model's likeness
    to the templates' expansions. Its classifier ships beside them (meaning.npz, made by
    tools/train-meaning) or is kept in the user's cache. None (the templates alone) when
    the model is not installed (said in one line), and when neither fits today's
    templates (in the log: training takes minutes, run tools/train-meaning)."""
    from voice_glimmers.app.settings import intents_dir, user_cache_dir
    from voice_glimmers.encoder.likeness import Likeness
    from voice_glimmers.encoder.minilm import EncoderMissing
    from voice_glimmers.understand.meaning import Meaning

    shipped = intents_dir() / language.intents.language / "meaning.npz"
    examples = meaning_examples_of(language)
    cache_dir = user_cache_dir() / "meaning"
    try:
        if not _meaning_is_trained(examples, shipped, cache_dir):
            # Training takes minutes: never at a person's first word. Until meaning.npz
            # is made again, the templates alone understand what is said.
            logging.getLogger(__name__).info(
                "%s was made for other sentences: run tools/train-meaning", shipped)
            return None
        likeness = Likeness(examples, cache_dir=cache_dir, shipped=shipped)
    except EncoderMissing as err:
        print(f"voice-glimmers: {err}; until then only the templates understand what is said",
              file=sys.stderr)
        return None
    return Meaning.of(likeness, examples)


def load_senses(language: Language, likeness: object = None) -> Senses | None:
    """The tags' model (intents/<lang>/tags_model.npz, made by tools/train-tags), reading
    the vectors of `likeness` when it is over the same (plain) encoder, such as the layer
    that generalises, so a glimmer it has just read is not encoded again. None (the word
    lists alone tag) when the sentence model is not installed or the file is not there or
    was made for other tags (in the log: run tools/train-tags)."""
    from voice_glimmers.app.settings import intents_dir
    from voice_glimmers.encoder.minilm import EncoderMissing
    from voice_glimmers.encoder.tagger import MODEL_FILE, senses_for

    try:
        return senses_for(intents_dir() / language.intents.language / MODEL_FILE,
                          tuple(language.tags.rules), likeness)
    except EncoderMissing:  # said in one line already, by the screen
        return None


def load_screen(settings: Settings) -> tuple[Language, Screen]:
    """The language, and the screen that says what words are before they are kept or read."""
    from voice_glimmers.app.settings import intents_dir
    from voice_glimmers.language.bundle import Language
    from voice_glimmers.understand.screen import Screen
    from voice_glimmers.understand.wake import WakeWord

    language = Language.from_dir(intents_dir() / settings.language)
    wake = WakeWord.of(settings.wake_word, language)
    return language, Screen(language.signs, language.lexicon, load_likeness(language), wake.words)
