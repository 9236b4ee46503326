"""One language's data, loaded from intents/<lang>/: what people say and what we say back."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from voice_glimmers.core.errors import IntentFileError
from voice_glimmers.language.intents import Intents
from voice_glimmers.language.lexicon import Lexicon
from voice_glimmers.language.registry import Registry
from voice_glimmers.language.replies import Phrases
from voice_glimmers.language.safety import Signs
from voice_glimmers.language.tags import TagVocabulary


@dataclass(frozen=True)
class Language:
    """Sentence templates, the conversation's words, replies, tag words and the signs of
    what is not a glimmer; with the registry of every intent's role."""

    intents: Intents
    lexicon: Lexicon
    phrases: Phrases
    tags: TagVocabulary
    signs: Signs

    @property
    def registry(self) -> Registry:
        return self.intents.registry

    @classmethod
    def from_dir(cls, folder: Path) -> Language:
        """Load intents/<lang>/; a malformed file raises IntentFileError naming it."""
        intents = Intents.from_dir(folder)
        if not intents.wake_word:
            raise IntentFileError(f"{Path(folder) / 'sentences'}: one file needs wake_word, "
                                  "the word every template wakes the assistant with")
        return cls(
            intents=intents,
            lexicon=Lexicon.from_dir(folder),
            phrases=Phrases.from_dir(folder),
            tags=TagVocabulary.from_dir(folder),
            signs=Signs.from_dir(folder),
        )
