"""One language's data, loaded from intents/<lang>/: what people say and what we say back."""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from voice_glimmers.language.intents import Intents
from voice_glimmers.language.replies import Phrases
from voice_glimmers.language.safety import Signs
from voice_glimmers.language.tags import TagVocabulary


def packaged_intents() -> Path:
    """The intents/ folder that ships inside the package (voice_glimmers/intents in a
    wheel), or the repository's own intents/ when running from a source checkout."""
    packaged = Path(str(files("voice_glimmers") / "intents"))
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "intents"


@dataclass(frozen=True)
class Language:
    """Sentence templates, replies, tag words and the signs of what is not a glimmer."""

    intents: Intents
    phrases: Phrases
    tags: TagVocabulary
    signs: Signs

    @classmethod
    def from_dir(cls, folder: Path) -> Language:
        """Load intents/<lang>/; a malformed file raises IntentFileError naming it."""
        return cls(
            intents=Intents.from_dir(folder),
            phrases=Phrases.from_dir(folder),
            tags=TagVocabulary.from_dir(folder),
            signs=Signs.from_dir(folder),
        )
