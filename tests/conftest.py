"""Shared fixtures. Fakes, not mocks: real files in tmp folders, pinned clocks."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from voice_glimmers.core.clock import PinnedClock

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def _shared_cache(tmp_path_factory):
    """One cache for the whole run, where the sentence screen is trained once, up front:
    every command a test runs then finds it ready, as a person's second start does."""
    from voice_glimmers.encoder.likeness import Likeness
    from voice_glimmers.language.bundle import Language

    cache = tmp_path_factory.mktemp("cache")
    signs = Language.from_dir(ROOT / "intents" / "en").signs
    Likeness(signs.examples, cache_dir=cache / "voice-glimmers" / "screen", shipped=signs.trained)
    return cache


@pytest.fixture(autouse=True)
def _private_home(tmp_path_factory, monkeypatch, _shared_cache):
    """Never touch the real user's data or settings from a test."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CACHE_HOME", str(_shared_cache))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local/share"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    for name in (
        "VOICE_GLIMMERS_DB",
        "VOICE_GLIMMERS_NOW",
        "VOICE_GLIMMERS_CONFIG",
        "VOICE_GLIMMERS_MODEL",
        "VOICE_GLIMMERS_INTENTS",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def evening():
    """A pinned clock: Friday 27 November 2026, 20:30 UTC."""
    return PinnedClock(datetime(2026, 11, 27, 20, 30, tzinfo=timezone.utc))


# --- a real sound server ---------------------------------------------------


class PulseServer:
    """A private PulseAudio daemon with one null sink, `mic`.

    Whatever is played into the sink (play(), or paplay --device=mic) can be recorded
    from its monitor, which is the default source: through PortAudio that is device
    "pulse" (or "default"). `env` is the environment for subprocesses that use it.
    """

    sink = "mic"

    def __init__(self, runtime_dir: Path):
        import os

        self.runtime_dir = runtime_dir
        self.env = dict(
            os.environ,
            XDG_RUNTIME_DIR=str(runtime_dir),
            PULSE_SERVER=f"unix:{runtime_dir}/pulse/native",
        )

    def start(self, timeout: float = 15.0) -> None:
        import subprocess
        import time

        done = subprocess.run(
            [
                "pulseaudio",
                "--daemonize=yes",
                "--exit-idle-time=-1",
                "-n",
                "--load=module-native-protocol-unix",
                f"--load=module-null-sink sink_name={self.sink}",
            ],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if subprocess.run(["pactl", "info"], env=self.env, capture_output=True).returncode == 0:
                return
            time.sleep(0.1)
        raise RuntimeError(f"PulseAudio did not start: {done.stderr.strip()}")

    def stop(self) -> None:
        import subprocess

        self.thaw()  # a frozen server cannot hear --kill
        subprocess.run(["pulseaudio", "--kill"], env=self.env, capture_output=True, timeout=15)

    def pid(self) -> int | None:
        try:
            return int((self.runtime_dir / "pulse" / "pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def freeze(self) -> None:
        """SIGSTOP: the server still holds its socket but answers nothing (a hung server)."""
        import os
        import signal

        pid = self.pid()
        assert pid is not None, "PulseAudio left no pid file"
        os.kill(pid, signal.SIGSTOP)

    def thaw(self) -> None:
        import os
        import signal

        pid = self.pid()
        if pid is not None:
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass

    def play(self, wav: Path):
        """Start playing a WAV into the sink; returns the paplay process."""
        import subprocess

        return subprocess.Popen(["paplay", f"--device={self.sink}", str(wav)], env=self.env)


@pytest.fixture
def pulse_server(monkeypatch):
    """A running PulseAudio with a null sink `mic`; this process's env points at it.

    Skips only where PulseAudio is not installed, and never when CI is set.
    """
    import os
    import shutil
    import tempfile

    missing = [tool for tool in ("pulseaudio", "pactl", "paplay") if not shutil.which(tool)]
    if missing:
        message = f"PulseAudio is not installed (missing {', '.join(missing)})"
        if os.environ.get("CI"):
            pytest.fail(message + "; CI must run the real sound-server tests")
        pytest.skip(message)
    server = PulseServer(Path(tempfile.mkdtemp(prefix="vg-pulse-")))
    try:
        server.start()
    except Exception as err:
        server.stop()
        pytest.fail(f"PulseAudio is installed but would not start here: {err}")
    monkeypatch.setenv("XDG_RUNTIME_DIR", server.env["XDG_RUNTIME_DIR"])
    monkeypatch.setenv("PULSE_SERVER", server.env["PULSE_SERVER"])
    yield server
    server.stop()
    shutil.rmtree(server.runtime_dir, ignore_errors=True)
