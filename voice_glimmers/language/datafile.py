"""The language data files: where they ship, and reading one YAML file of them (replies,
tags, safety, the registry), or saying which file is wrong and why, as an IntentFileError."""

from __future__ import annotations

import io
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path
from typing import IO, Any, TypeVar

from voice_glimmers.core.errors import GlimmersError, IntentFileError

T = TypeVar("T")


def read_yaml(stream: IO[str], name: str) -> Any:
    """The parsed document; IntentFileError naming the file when it is not YAML."""
    import yaml

    try:
        # libyaml's safe loader when PyYAML has it (the screen's examples: 6x faster)
        return yaml.load(stream, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as err:
        raise IntentFileError(f"{name}: not valid YAML: {' '.join(str(err).split())}") from None


MAX_DATA_FILE_BYTES = 8_000_000
"""The largest language file read (the biggest that ships is about 40 kB)."""


def read_text_file(path: Path) -> str:
    """A language file's text: a regular UTF-8 file of at most MAX_DATA_FILE_BYTES.

    A named pipe, a device or a folder in its place is refused without waiting on it,
    and a file that is too large before it is read; each as an IntentFileError naming it.
    """
    from voice_glimmers.core.files import read_regular_file

    try:
        return read_regular_file(path, MAX_DATA_FILE_BYTES).decode("utf-8")
    except OSError as err:
        raise IntentFileError(f"{path}: cannot be read ({err.strerror})") from None
    except UnicodeDecodeError:
        raise IntentFileError(f"{path}: is not UTF-8 text") from None
    except GlimmersError as err:  # not a regular file, or too large
        raise IntentFileError(str(err)) from None


def read_data_file(folder: Path, filename: str, parse: Callable[[IO[str], str], T]) -> T:
    """`parse(stream, name)` on folder/filename; IntentFileError when it cannot be read."""
    path = folder / filename
    return parse(io.StringIO(read_text_file(path)), str(path))


def packaged_intents() -> Path:
    """The intents/ folder that ships inside the package (voice_glimmers/intents in a
    wheel), or the repository's own intents/ when running from a source checkout."""
    packaged = Path(str(files("voice_glimmers") / "intents"))
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "intents"
