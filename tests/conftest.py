"""Shared fixtures. Fakes, not mocks: real files in tmp folders, pinned clocks."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from voice_glimmers.clock import PinnedClock

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _private_home(tmp_path_factory, monkeypatch):
    """Never touch the real user's data or settings from a test."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local/share"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    for name in ("VOICE_GLIMMERS_DB", "VOICE_GLIMMERS_NOW", "VOICE_GLIMMERS_CONFIG", "VOICE_GLIMMERS_MODEL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def evening():
    """A pinned clock: Friday 27 November 2026, 20:30 UTC."""
    return PinnedClock(datetime(2026, 11, 27, 20, 30, tzinfo=timezone.utc))
