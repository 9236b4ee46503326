"""The intent registry: every intent voice-glimmers knows and the role it plays.

Read from intents/intents.yaml, which holds roles, not words: the same for every
language. The dialogue acts on these roles (a request is never kept as a glimmer,
time words apply where `when` is set) instead of lists of names in code.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import IO, Any

from voice_glimmers.core.errors import IntentFileError
from voice_glimmers.language.datafile import packaged_intents, read_data_file, read_yaml

REGISTRY_FILE = "intents.yaml"
_FIELDS = {"description", "kind", "slots", "when", "care_first", "help_example", "reads_back",
           "replies"}


class Kind(Enum):
    """What saying an intent does."""

    CAPTURE = "capture"  # keeps a glimmer
    REQUEST = "request"  # asks the assistant for something
    ANSWER = "answer"  # answers the question the assistant asked


@dataclass(frozen=True)
class Role:
    """One intent's entry in the registry."""

    name: str
    kind: Kind
    description: str
    slots: tuple[str, ...] = ()
    when: bool = False
    care_first: bool = False
    help_example: bool = False
    reads_back: bool = False
    replies: tuple[str, ...] = ()


@dataclass(frozen=True)
class Registry:
    roles: Mapping[str, Role]

    @classmethod
    def from_yaml(cls, stream: IO[str], name: str = REGISTRY_FILE) -> Registry:
        data = read_yaml(stream, name)
        intents = data.get("intents") if isinstance(data, dict) else None
        if not isinstance(intents, dict) or not intents:
            raise IntentFileError(f"{name}: needs an 'intents:' mapping of name to role")
        return cls({str(key): _role(str(key), body, name) for key, body in intents.items()})

    @classmethod
    def from_dir(cls, folder: Path) -> Registry:
        """The registry in `folder` (the folder of language folders)."""
        return read_data_file(folder, REGISTRY_FILE, cls.from_yaml)

    @classmethod
    def beside(cls, language_folder: Path) -> Registry:
        """The registry for a language folder: the one beside it, else the one shipped."""
        folder = Path(language_folder).parent
        return cls.from_dir(folder if (folder / REGISTRY_FILE).is_file() else packaged_intents())

    def __iter__(self) -> Iterator[Role]:
        return iter(self.roles.values())

    def __contains__(self, name: object) -> bool:
        return name in self.roles

    @property
    def names(self) -> list[str]:
        return list(self.roles)

    def kind(self, name: str | None) -> Kind | None:
        role = self.roles.get(name) if name is not None else None
        return role.kind if role else None

    def is_request(self, name: str | None) -> bool:
        return self.kind(name) is Kind.REQUEST

    def has_time_range(self, name: str | None) -> bool:
        role = self.roles.get(name) if name is not None else None
        return role is not None and role.when

    @property
    def with_time_range(self) -> tuple[str, ...]:
        return tuple(role.name for role in self if role.when)


def _role(key: str, body: Any, name: str) -> Role:
    where = f"{name}: intent {key!r}"
    if not isinstance(body, dict):
        raise IntentFileError(f"{where}: needs kind and description")
    unknown = sorted(set(body) - _FIELDS)
    if unknown:
        raise IntentFileError(f"{where}: unknown {', '.join(unknown)}")
    try:
        kind = Kind(body.get("kind"))
    except ValueError:
        raise IntentFileError(
            f"{where}: kind should be one of {', '.join(k.value for k in Kind)}") from None
    lists: dict[str, tuple[str, ...]] = {}
    for field in ("slots", "replies"):
        value = body.get(field, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise IntentFileError(f"{where}: {field} should be a list of names")
        lists[field] = tuple(value)
    flags: dict[str, bool] = {}
    for field in ("when", "care_first", "help_example", "reads_back"):
        value = body.get(field, False)
        if not isinstance(value, bool):
            raise IntentFileError(f"{where}: {field} should be true or false")
        flags[field] = value
    return Role(key, kind, str(body.get("description") or ""), slots=lists["slots"],
                replies=lists["replies"], when=flags["when"], care_first=flags["care_first"],
                help_example=flags["help_example"], reads_back=flags["reads_back"])
