"""Playback: one Speech through a sounddevice output stream, cut short the moment it is asked.

A PortAudio callback stream hands the audio over a block at a time; the calling thread
polls for cancellation and aborts the stream, which drops what is still buffered. Calls
that reach the sound server are bounded and kept quiet (voice.native): a frozen server is
one error, not a thread stuck for good, and a missing one does not fill stderr.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from voice_glimmers.core.errors import SpeechOutputError
from voice_glimmers.voice.native import (
    CLOSE_SECONDS,
    NOT_ANSWERING,
    OPEN_SECONDS,
    NotAnswering,
    call_within,
    import_sounddevice,
    quiet_native_output,
)
from voice_glimmers.voice.synthesis import Speech

_LOGGER = logging.getLogger(__name__)

BLOCK_SECONDS = 0.02  # audio is handed to the sound server this much at a time
LATENCY_SECONDS = 0.1  # buffered ahead; less underruns on a busy machine (stop() drops it)
POLL_SECONDS = 0.01  # how often play() looks for cancellation
STALL_SECONDS = 10.0  # a speaker that takes nothing for this long has gone away
_TRY_INSTEAD = "'voice-glimmers devices' lists speakers; --no-speak prints replies instead"


@dataclass(frozen=True)
class Played:
    seconds: float  # audio heard, about: handed over and not dropped
    interrupted: bool
    started: float | None  # time.monotonic() when the first block was handed over


class _NeverStarted(Exception):
    """The stream finished without taking a single block."""


def _sounddevice() -> Any:
    try:
        return import_sounddevice()
    except (ImportError, OSError) as err:
        raise SpeechOutputError(
            f"Speech cannot be played ({err}); install libportaudio2, or use --no-speak"
        ) from None
    except NotAnswering:
        raise SpeechOutputError(f"Speech cannot be played: {NOT_ANSWERING}; {_TRY_INSTEAD}"
                                ) from None


class Player:
    """Plays speech on one output device (a number, part of a name, or None: the default)."""

    def __init__(self, device: str | int | None = None) -> None:
        self._sd = sd = _sounddevice()
        if isinstance(device, str) and device.strip().isdigit():
            device = int(device)
        try:
            sd.query_devices(device, kind="output")
        except (ValueError, sd.PortAudioError) as err:
            which = "the default speaker" if device is None else f"speaker '{device}'"
            raise SpeechOutputError(
                f"Cannot use {which} ({err}); is a sound server running? {_TRY_INSTEAD}"
            ) from None
        self.device = device

    def play(
        self,
        speech: Speech,
        *,
        is_cancelled: Callable[[], bool] = lambda: False,
        on_start: Callable[[float], None] | None = None,
    ) -> Played:
        """Play `speech` to the end, or until is_cancelled() turns true. Blocks meanwhile.

        A stream that ends before taking any audio (a busy sound server can refuse a
        start) is opened once more before giving up.
        """
        with quiet_native_output():
            try:
                return self._play_once(speech, is_cancelled, on_start)
            except _NeverStarted:
                _LOGGER.info("the speaker stream ended before it started; opening it again")
            try:
                return self._play_once(speech, is_cancelled, on_start)
            except _NeverStarted:
                raise SpeechOutputError(f"The speaker would not start; {_TRY_INSTEAD}") from None


    def _play_once(
        self, speech: Speech, is_cancelled: Callable[[], bool],
        on_start: Callable[[float], None] | None,
    ) -> Played:
        import numpy as np

        sd = self._sd
        handed = {"frames": 0, "first": 0.0}  # written only by the audio callback
        finished = threading.Event()

        def feed(outdata: Any, frames: int, _time: Any, _status: Any) -> None:
            start = handed["frames"]
            chunk = samples[start : start + frames]
            outdata[: len(chunk), 0] = chunk
            outdata[len(chunk) :] = 0
            if not start:
                handed["first"] = time.monotonic()
            handed["frames"] = start + len(chunk)
            if len(chunk) < frames:
                raise sd.CallbackStop  # all handed over: `finished`, though the buffer still plays

        stuck = False  # the sound server left a call unanswered: the stream is left behind

        def bounded(call: Callable[[], Any], seconds: float, discard: Any = None) -> Any:
            nonlocal stuck
            try:
                return call_within(call, seconds, discard=discard)
            except NotAnswering:
                stuck = True
                raise SpeechOutputError(
                    f"The speaker cannot be used: {NOT_ANSWERING}; {_TRY_INSTEAD}") from None

        stream, speech = bounded(lambda: self._open(speech, feed, finished.set), OPEN_SECONDS,
                                 discard=lambda opened: opened[0].close())
        samples = np.frombuffer(speech.samples, dtype="<i2")  # read by feed() once started
        interrupted = announced = False
        progress: float = -1
        progress_at = time.monotonic()

        def abort() -> None:  # drops what is buffered: quiet within a block or two
            bounded(stream.abort, CLOSE_SECONDS)

        try:
            bounded(stream.start, OPEN_SECONDS)
            while not finished.wait(POLL_SECONDS):
                if not announced and handed["first"]:
                    announced = True
                    if on_start is not None:
                        on_start(handed["first"])
                if is_cancelled():
                    interrupted = True
                    abort()
                    break
                if handed["frames"] != progress:
                    progress, progress_at = handed["frames"], time.monotonic()
                elif time.monotonic() - progress_at > STALL_SECONDS:
                    interrupted = True
                    abort()
                    raise SpeechOutputError(f"The speaker stopped taking sound; {_TRY_INSTEAD}")
            if not announced and handed["first"] and on_start is not None:
                on_start(handed["first"])
            if not interrupted and not handed["frames"]:
                raise _NeverStarted
            if not interrupted and handed["frames"] < len(samples):  # ended by PortAudio
                raise SpeechOutputError(f"The speaker went away mid-sentence; {_TRY_INSTEAD}")
            drained_at = time.monotonic() + stream.latency  # the buffered tail is still playing
            while not interrupted and time.monotonic() < drained_at:
                time.sleep(POLL_SECONDS / 2)
                if is_cancelled():
                    interrupted = True
                    abort()
        except sd.PortAudioError as err:
            raise SpeechOutputError(f"Speech could not be played ({err}); {_TRY_INSTEAD}") from None
        finally:
            try:
                if not stuck:
                    bounded(stream.close, CLOSE_SECONDS)
            except sd.PortAudioError as err:
                _LOGGER.debug("closing the speech stream: %s", err)
        seconds = handed["frames"] / speech.sample_rate
        if handed["first"]:
            seconds = min(seconds, time.monotonic() - handed["first"])
        return Played(seconds, interrupted, handed["first"] or None)

    def _open(self, speech: Speech, feed: Callable, done: Callable) -> tuple[Any, Speech]:
        """A callback stream at the speech's rate, or at the device's own rate if refused."""
        sd = self._sd

        def stream(rate: int) -> Any:
            return sd.OutputStream(
                samplerate=rate, channels=1, dtype="int16", device=self.device,
                blocksize=int(rate * BLOCK_SECONDS), latency=LATENCY_SECONDS,
                callback=feed, finished_callback=done,
            )

        try:
            return stream(speech.sample_rate), speech
        except sd.PortAudioError as err:
            first = err
        try:
            rate = int(sd.query_devices(self.device, kind="output")["default_samplerate"])
            if rate != speech.sample_rate:
                return stream(rate), speech.resampled(rate)
        except (ValueError, sd.PortAudioError):
            pass
        raise SpeechOutputError(f"The speaker could not be opened ({first}); {_TRY_INSTEAD}")
