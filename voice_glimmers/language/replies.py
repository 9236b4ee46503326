"""What the assistant says: reply texts and reflection phrase lists, loaded from intents/<lang>/."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from string import Formatter
from typing import IO, Any

from voice_glimmers.core.errors import IntentFileError
from voice_glimmers.language.datafile import read_data_file, read_yaml

SLOTS = frozenset({
    "wake", "text", "old", "tag", "count", "glimmers", "range", "query", "when", "ago", "are",
    "them", "examples", "file", "folder", "day",
})
"""The {placeholders} the assistant fills in. Each is checked when replies are loaded, so
that a broken one is said at the start, never after a glimmer was saved."""

REFLECTION_KEYS = (
    "openings", "today_intro", "prompts", "on_this_day", "none_today",
    "grounding", "offer_first", "closings", "offer_more", "later_more", "later_first",
    "go_on", "stopped", "later_rest", "rest_well",
)


def _check_placeholders(text: str, where: str) -> None:
    """IntentFileError naming `where` unless every {placeholder} in `text` is one of SLOTS,
    plainly (no index, attribute or format), and every brace is matched or doubled."""
    try:
        fields = [(name, spec, conversion)
                  for _, name, spec, conversion in Formatter().parse(text) if name is not None]
    except ValueError as err:
        raise IntentFileError(f"{where} has a broken {{placeholder}} ({err}) in {text!r}; "
                              "write {{ and }} for a brace itself") from None
    for name, spec, conversion in fields:
        if name not in SLOTS or spec or conversion:
            known = ", ".join(f"{{{slot}}}" for slot in sorted(SLOTS))
            raise IntentFileError(f"{where} has the placeholder {{{name}}} in {text!r}, "
                                  f"which is not one the assistant fills in ({known})")


def _variants(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        for text in value:
            _check_placeholders(text, where)
        return tuple(value)
    raise IntentFileError(f"{where} should be a text or a list of texts")


@dataclass(frozen=True)
class Phrases:
    """Reply texts by key; each key has one or more variants."""

    replies: Mapping[str, tuple[str, ...]]
    reflection: Mapping[str, tuple[str, ...]]
    sense_prompts: Mapping[str, str]

    @classmethod
    def from_yaml(cls, stream: IO[str], name: str = "replies.yaml") -> Phrases:
        data = read_yaml(stream, name)
        if not isinstance(data, dict) or not isinstance(data.get("replies"), dict):
            raise IntentFileError(f"{name}: needs a 'replies:' mapping")
        replies = {k: _variants(v, f"{name}: replies.{k}") for k, v in data["replies"].items()}
        section = data.get("reflection")
        if not isinstance(section, dict):
            raise IntentFileError(f"{name}: needs a 'reflection:' mapping")
        missing = [k for k in REFLECTION_KEYS if k not in section]
        if missing:
            raise IntentFileError(f"{name}: reflection is missing {', '.join(missing)}")
        senses = section.get("sense_prompts") or {}
        if not isinstance(senses, dict) or not all(isinstance(v, str) for v in senses.values()):
            raise IntentFileError(f"{name}: reflection.sense_prompts should map a tag to a text")
        reflection = {
            k: _variants(v, f"{name}: reflection.{k}")
            for k, v in section.items()
            if k != "sense_prompts"
        }
        return cls(replies=replies, reflection=reflection, sense_prompts=dict(senses))

    @classmethod
    def from_dir(cls, folder: Path) -> Phrases:
        return read_data_file(folder, "replies.yaml", cls.from_yaml)

    wake: str = "glimmer"  # {wake} in any text: the word that wakes the assistant

    def reply(self, key: str, index: int = 0, **slots: Any) -> str:
        """The reply `key`, variant `index` (wrapping), with {slots} filled in."""
        variants = self.replies[key]
        return variants[index % len(variants)].format(**{"wake": self.wake, **slots})

    def pick(self, key: str, index: int = 0, **slots: Any) -> str:
        """A reflection phrase: variant `index` (wrapping), with {slots} filled in."""
        variants = self.reflection[key]
        return variants[index % len(variants)].format(**{"wake": self.wake, **slots})

    def with_wake_word(self, wake: str | None) -> Phrases:
        """The same phrases naming another wake word ('glimmer' when there is none)."""
        from dataclasses import replace

        return replace(self, wake=wake or "glimmer")

    def count(self, key: str) -> int:
        return len(self.reflection[key])
