"""The language data files: where they ship, and reading one YAML file of them (replies,
tags, safety, the registry), or saying which file is wrong and why, as an IntentFileError."""

from __future__ import annotations

from collections.abc import Callable
from importlib.resources import files
from pathlib import Path
from typing import IO, Any, TypeVar

from voice_glimmers.core.errors import IntentFileError

T = TypeVar("T")


def read_yaml(stream: IO[str], name: str) -> Any:
    """The parsed document; IntentFileError naming the file when it is not YAML."""
    import yaml

    try:
        # libyaml's safe loader when PyYAML has it (the screen's examples: 6x faster)
        return yaml.load(stream, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as err:
        raise IntentFileError(f"{name}: not valid YAML ({err})") from None


def read_data_file(folder: Path, filename: str, parse: Callable[[IO[str], str], T]) -> T:
    """`parse(stream, name)` on folder/filename; IntentFileError when it cannot be read."""
    path = folder / filename
    try:
        with path.open(encoding="utf-8") as stream:
            return parse(stream, str(path))
    except OSError as err:
        raise IntentFileError(f"{path}: cannot be read ({err.strerror})") from None


def packaged_intents() -> Path:
    """The intents/ folder that ships inside the package (voice_glimmers/intents in a
    wheel), or the repository's own intents/ when running from a source checkout."""
    packaged = Path(str(files("voice_glimmers") / "intents"))
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "intents"
