"""Noticing when someone may be in danger, so that nothing like it is stored as a glimmer."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import IO

from voice_glimmers.errors import IntentFileError
from voice_glimmers.tags import plain_words


@dataclass(frozen=True)
class CrisisWords:
    """Phrases that mean someone may be in danger right now."""

    phrases: tuple[str, ...]

    @classmethod
    def from_yaml(cls, stream: IO[str], name: str = "safety.yaml") -> CrisisWords:
        import yaml

        try:
            data = yaml.safe_load(stream)
        except yaml.YAMLError as err:
            raise IntentFileError(f"{name}: not valid YAML ({err})") from None
        phrases = data.get("crisis") if isinstance(data, dict) else None
        if not isinstance(phrases, list) or not phrases:
            raise IntentFileError(f"{name}: needs a 'crisis:' list of phrases")
        return cls(tuple(" ".join(plain_words(str(p))) for p in phrases))

    @classmethod
    def from_dir(cls, folder: Path) -> CrisisWords:
        path = folder / "safety.yaml"
        try:
            with path.open(encoding="utf-8") as stream:
                return cls.from_yaml(stream, name=str(path))
        except OSError as err:
            raise IntentFileError(f"{path}: cannot be read ({err.strerror})") from None

    def is_crisis(self, text: str) -> bool:
        """True when the text holds one of the phrases as whole words."""
        joined = " " + " ".join(plain_words(text)) + " "
        return any(f" {phrase} " in joined for phrase in self.phrases)
