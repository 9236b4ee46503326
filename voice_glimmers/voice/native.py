"""Calls into the sound system's own libraries (PortAudio, ALSA, libpulse): bounded and quiet.

A sound server that freezes (a hung PulseAudio or PipeWire, or one stopped with SIGSTOP)
keeps its socket open but answers nothing, so opening, stopping or closing a stream
waits inside libpulse forever, and Ctrl-C cannot reach a thread stuck in C. So each such
call runs on a thread of its own and is waited for a bounded time (`call_within`); a call
that does not come back is left behind, and PortAudio is then never shut down at exit,
which would wait for that call too.

While a device is away, every attempt to open it makes PortAudio and ALSA print a few
lines on stderr. They print through C's `stderr` stream, never through Python's: so
during the calls C's `stderr` is pointed at /dev/null (`quiet_native_output`), which
leaves every line voice-glimmers itself writes untouched, from any thread. The GNU C
library documents `stderr` as a variable a program may set; elsewhere nothing is done.
With -v (debug logging) nothing is hidden.
"""

from __future__ import annotations

import atexit
import ctypes
import importlib
import logging
import os
import platform
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

_LOGGER = logging.getLogger(__name__)

T = TypeVar("T")

NOT_ANSWERING = "the sound system is not answering (it may have frozen)"
OPEN_SECONDS = 5.0  # a sound server that takes longer to open a stream is not answering
CLOSE_SECONDS = 0.5  # ... or to stop or close one (it takes a few milliseconds)


class NotAnswering(Exception):
    """A call into the sound system did not return in time; it was left behind."""


def call_within(call: Callable[[], T], seconds: float, *,
                cancel: threading.Event | None = None,
                discard: Callable[[T], None] | None = None) -> T:
    """call() on a thread of its own, waited for at most `seconds`, or until `cancel` is set.

    Its result or exception comes back as if it had been called here. If it has not
    returned by then, NotAnswering is raised; should it return later, `discard` gets what
    it returned (a stream opened too late is closed). A Ctrl-C while waiting also leaves
    it behind. Quiet (see quiet_native_output) while waiting.
    """
    lock = threading.Lock()
    finished = threading.Event()
    outcome: list[tuple[bool, Any]] = []
    left_behind = False

    def run() -> None:
        try:
            result: tuple[bool, Any] = (True, call())
        except BaseException as err:  # handed back to the caller
            result = (False, err)
        with lock:
            outcome.append(result)
            finished.set()
            late = left_behind
        if late and result[0] and discard is not None:
            try:
                discard(result[1])
            except Exception as err:
                _LOGGER.debug("discarding a late sound-system result: %s", err)

    deadline = time.monotonic() + seconds
    try:
        with quiet_native_output():
            threading.Thread(target=run, name="voice-glimmers-sound-call", daemon=True).start()
            while not finished.is_set():
                left = deadline - time.monotonic()
                if left <= 0 or (cancel is not None and cancel.is_set()):
                    break
                finished.wait(min(left, 0.05) if cancel is not None else left)
    finally:
        with lock:
            if not finished.is_set():
                left_behind = True
                _keep_portaudio_at_exit()
    if not outcome:
        raise NotAnswering
    ok, value = outcome[0]
    if not ok:
        raise value
    return value


def import_sounddevice() -> Any:
    """The sounddevice module, imported within OPEN_SECONDS. Importing it starts PortAudio,
    which asks the sound server for its devices: a frozen server holds that for minutes.
    Raises NotAnswering, or the import's own error (OSError: no PortAudio library).

    sounddevice points file descriptor 2 at /dev/null while PortAudio starts; an import
    left behind would keep it there, and every line voice-glimmers writes would be lost."""
    stderr = os.dup(2)
    try:
        return call_within(lambda: importlib.import_module("sounddevice"), OPEN_SECONDS)
    except NotAnswering:
        os.dup2(stderr, 2)
        raise
    finally:
        os.close(stderr)


def _keep_portaudio_at_exit() -> None:
    """sounddevice shuts PortAudio down at exit (Pa_Terminate), which closes every stream
    and so would wait forever for a call left behind: once one is, skip that."""
    sounddevice = sys.modules.get("sounddevice")
    handler = getattr(sounddevice, "_exit_handler", None)
    if handler is not None:
        atexit.unregister(handler)
        _LOGGER.debug("a sound-system call was left behind; PortAudio stays up at exit")


# --- C's stderr, pointed away while the sound libraries are called ---------------------


class _NativeStderr:
    """C's `stderr` (glibc), set to a /dev/null stream while anyone is in `hushed()`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._depth = 0
        self._saved: int | None = None
        self._pointer: Any = None
        self._devnull: int | None = None
        self._ready = False

    def _prepare(self) -> bool:
        if self._ready:
            return self._pointer is not None
        self._ready = True
        if not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc":
            return False
        try:
            libc = ctypes.CDLL(None)
            fopen = libc.fopen
            fopen.restype, fopen.argtypes = ctypes.c_void_p, [ctypes.c_char_p, ctypes.c_char_p]
            devnull = fopen(b"/dev/null", b"w")
            pointer = ctypes.c_void_p.in_dll(libc, "stderr")
        except (OSError, AttributeError, ValueError) as err:
            _LOGGER.debug("C's stderr cannot be quietened here: %s", err)
            return False
        if not devnull:
            return False
        self._pointer, self._devnull = pointer, devnull
        return True

    @contextmanager
    def hushed(self) -> Iterator[None]:
        with self._lock:
            quiet = not _LOGGER.isEnabledFor(logging.DEBUG) and self._prepare()
            if quiet:
                if self._depth == 0:
                    self._saved = self._pointer.value
                    self._pointer.value = self._devnull
                self._depth += 1
        try:
            yield
        finally:
            if quiet:
                with self._lock:
                    self._depth -= 1
                    if self._depth == 0:
                        self._pointer.value = self._saved


_NATIVE_STDERR = _NativeStderr()  # one per process, as C's stderr is


def quiet_native_output():
    """While inside, what PortAudio, ALSA and libpulse print on stderr goes nowhere."""
    return _NATIVE_STDERR.hushed()
