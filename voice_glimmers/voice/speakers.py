"""Speakers: where replies go. Played aloud (interruptible), written to a WAV, or printed.

pyttsx3 only synthesises (speech.py); playback is ours (playback.py), which is what lets
stop() cut a long read-back short and tells the listening loop exactly when the
assistant is speaking, so that it never hears itself.
"""

from __future__ import annotations

import io
import logging
import os
import queue
import struct
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from voice_glimmers.core.errors import SpeechOutputError
from voice_glimmers.core.events import Event, Speaking, SpeechFailed, Spoken
from voice_glimmers.core.files import describe_os_error, write_atomically
from voice_glimmers.voice.playback import Player
from voice_glimmers.voice.synthesis import (
    DEFAULT_VOICE,
    ESPEAK_RATE,
    Speech,
    Synthesizer,
    Voice,
    silence,
    synthesize,
)

__all__ = [
    "PrintSpeaker", "Pyttsx3Speaker", "Speech", "Voice", "WavSpeaker", "synthesize",
]

_LOGGER = logging.getLogger(__name__)

EventSink = Callable[[Event], None]
GAP_SECONDS = 0.5  # silence between replies written to one WAV


class _Events:
    """Timestamps replies and hands them to on_event; a failing handler is only logged."""

    def __init__(self, on_event: EventSink | None) -> None:
        self._on_event = on_event

    def emit(self, event: Event) -> None:
        if self._on_event is None:
            return
        try:
            self._on_event(event)
        except Exception:
            _LOGGER.exception("speech event handler failed")


class _Closing:
    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:  # pragma: no cover - each speaker has its own
        raise NotImplementedError


class Pyttsx3Speaker(_Closing):
    """Speaks replies aloud, one at a time, on its own thread; stop() interrupts at once.

    on_event is called on the speech thread: "speaking" carries the moment the first
    block reached the sound server, "spoken" comes once the audio has played out. Errors
    there are sent as an "error" event and raised by the next say(), wait() or close():
    once while the speaker stays away (later replies are tried, quietly), and again only
    after a reply has played. close() lets queued replies finish; stop() first cuts them.
    """

    def __init__(
        self,
        voice: Voice = DEFAULT_VOICE,
        *,
        device: str | int | None = None,
        tail_seconds: float = 0.4,
        on_event: EventSink | None = None,
        scratch_dir: Path | None = None,
    ) -> None:
        self._player = Player(device)
        self._scratch_dir = scratch_dir
        self._voice, self._tail, self._events = voice, tail_seconds, _Events(on_event)
        self._queue: queue.Queue[tuple[int, str | float] | None] = queue.Queue()
        self._cond = threading.Condition()
        self._pending = 0  # replies queued or being spoken
        self._generation = 0  # bumped by stop(); replies of an older generation are dropped
        self._quiet_at = 0.0  # monotonic time when the last audio plus its tail is over
        self._error: SpeechOutputError | None = None
        self._failing = False  # a failure was handed on; the next ones are only logged
        self._closed = False
        ready = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(ready,), name="voice-glimmers-speech", daemon=True
        )
        self._thread.start()
        ready.wait()
        self._raise_error()

    def say(self, text: str) -> None:
        """Queue a reply; then raise what an earlier one left, if anything (this one is
        still tried: a speaker that went away may be back)."""
        if self._closed:
            raise SpeechOutputError("The speaker is already closed")
        if text.strip():
            with self._cond:
                self._pending += 1
                self._queue.put((self._generation, text))
        self._raise_error()

    def pause(self, seconds: float) -> None:
        """Queue a quiet moment after what is queued: speaking, as far as listening goes
        (only a plain "stop" is heard in it), and cut short by stop()."""
        if self._closed:
            raise SpeechOutputError("The speaker is already closed")
        if seconds > 0:
            with self._cond:
                self._pending += 1
                self._queue.put((self._generation, float(seconds)))

    def stop(self) -> None:
        with self._cond:
            self._generation += 1
            kept_sentinel = False
            while True:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    kept_sentinel = True
                else:
                    self._pending -= 1
            if kept_sentinel:
                self._queue.put(None)
            self._cond.notify_all()

    def is_speaking(self) -> bool:
        with self._cond:
            return self._pending > 0 or time.monotonic() < self._quiet_at

    def wait(self, timeout: float | None = None) -> bool:
        with self._cond:
            done = self._cond.wait_for(lambda: self._pending == 0, timeout)
        self._raise_error()
        return done

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._queue.put(None)
            self._thread.join()
        self._raise_error()

    def _raise_error(self) -> None:
        with self._cond:
            error, self._error = self._error, None
        if error is not None:
            raise error

    def _run(self, ready: threading.Event) -> None:
        try:
            # the engine is made and used on this thread
            synthesizer = Synthesizer(self._voice, scratch_dir=self._scratch_dir)
        except SpeechOutputError as err:
            self._error = err
            return
        finally:
            ready.set()
        while (item := self._queue.get()) is not None:
            generation, text = item
            if isinstance(text, float):  # a pause between parts
                self._wait_quietly(generation, text)
                with self._cond:
                    self._pending -= 1
                    self._cond.notify_all()
                continue
            try:
                self._speak(synthesizer, generation, text)
            except Exception as err:  # the thread must outlive any one reply
                if not isinstance(err, SpeechOutputError):  # the words only with -v
                    _LOGGER.error("speaking a reply of %d words failed (%s: %s)",
                                  len(text.split()), type(err).__name__, err, exc_info=True)
                    _LOGGER.debug("the reply was %r", text)
                    err = SpeechOutputError(f"Speech failed: {err}")
                with self._cond:
                    told, self._failing = self._failing, True
                    if not told:
                        self._error = err  # for the caller to say, once
                _LOGGER.log(logging.DEBUG if told else logging.INFO, "%s", err)
                self._events.emit(SpeechFailed(text, time.monotonic(), str(err)))
            finally:
                with self._cond:
                    self._pending -= 1
                    self._cond.notify_all()

    def _wait_quietly(self, generation: int, seconds: float) -> None:
        """A pause between parts: over after `seconds`, or at once when stop() is called."""
        with self._cond:
            self._cond.wait_for(lambda: generation != self._generation, timeout=seconds)

    def _speak(self, synthesizer: Synthesizer, generation: int, text: str) -> None:
        if generation != self._generation:
            return
        started = time.monotonic()
        speech = synthesizer(text)
        synth_ms = (time.monotonic() - started) * 1000
        if generation != self._generation:
            return
        started_at: list[float] = []

        def on_start(t: float) -> None:
            started_at.append(t)
            self._events.emit(Speaking(text, t))

        def spoken(seconds: float, interrupted: bool) -> None:
            self._events.emit(Spoken(text, time.monotonic(), round(seconds, 3), interrupted,
                                     round(synth_ms, 1)))

        try:
            played = self._player.play(
                speech, is_cancelled=lambda: generation != self._generation, on_start=on_start
            )
        except SpeechOutputError:
            if started_at:  # every "speaking" gets its "spoken", even when the sound died
                spoken(time.monotonic() - started_at[0], True)
            raise
        finally:
            with self._cond:
                self._quiet_at = time.monotonic() + self._tail
        with self._cond:
            self._failing = False  # it plays again: a new failure is news
        spoken(played.seconds, played.interrupted)


class _AtOnce(_Closing):
    """A speaker that is done with each reply inside say(): nothing to stop or wait for."""

    def stop(self) -> None:
        """Nothing is ever waiting: each reply is written or printed as it is said."""

    def is_speaking(self) -> bool:
        return False

    def wait(self, timeout: float | None = None) -> bool:
        return True


class WavSpeaker(_AtOnce):
    """Writes every reply, with a short silence between, into one WAV file as it is said.

    The first reply replaces the file whole (private, like every file voice-glimmers
    writes: a temporary file beside it, synced, renamed into place); each one after is
    added to it and the header brought up to date, synced. So the file is always a whole
    WAV of what has been said so far, a killed process included, and only the reply
    being written is held in memory.
    """

    def __init__(
        self, path: Path, voice: Voice = DEFAULT_VOICE, *, on_event: EventSink | None = None,
        scratch_dir: Path | None = None,
    ) -> None:
        self._path = Path(path)
        folder = self._path.parent
        if self._path.is_dir() or not folder.is_dir() or not os.access(folder, os.W_OK):
            raise SpeechOutputError(f"Cannot write spoken replies to {self._path}: "
                                    "its folder is missing or not writable")
        self._synthesizer: Synthesizer | None = Synthesizer(voice, scratch_dir=scratch_dir)
        self._events = _Events(on_event)
        self._file: _GrowingWav | None = None
        self._gap = GAP_SECONDS  # the silence before the next reply
        self._closed = False

    def pause(self, seconds: float) -> None:
        """A quiet moment: the silence before the next reply is `seconds` long (a pause
        after the last reply is not written: nothing follows it)."""
        if self._closed:
            raise SpeechOutputError("The speaker is already closed")
        self._gap = max(self._gap, seconds)

    def say(self, text: str) -> None:
        if self._closed or self._synthesizer is None:
            raise SpeechOutputError("The speaker is already closed")
        if not text.strip():
            return
        started = time.monotonic()
        speech = self._synthesizer(text)
        synth_ms = (time.monotonic() - started) * 1000
        self._events.emit(Speaking(text, time.monotonic()))
        try:
            if self._file is None:
                self._file = _GrowingWav(self._path, speech)
            else:
                self._file.add(speech, gap_seconds=self._gap)
            self._gap = GAP_SECONDS
        except OSError as err:
            raise SpeechOutputError(
                f"Cannot write spoken replies to {self._path}: {describe_os_error(err)}"
            ) from None
        self._events.emit(Spoken(text, time.monotonic(), round(speech.seconds, 3), False,
                                 round(synth_ms, 1)))

    def close(self) -> None:
        """Done: the file is already written; with nothing said, an empty WAV is."""
        if self._closed:
            return
        self._closed = True
        self._synthesizer = None
        if self._file is not None:
            self._file.close()
            return
        try:
            _GrowingWav(self._path, Speech(b"", ESPEAK_RATE)).close()
        except OSError as err:
            raise SpeechOutputError(
                f"Cannot write spoken replies to {self._path}: {describe_os_error(err)}"
            ) from None


class _GrowingWav:
    """A 16-bit mono WAV that replaces `path` whole with its first speech, then grows: each
    addition is written after the last and the two sizes in the header updated, synced."""

    _RIFF_SIZE_AT, _DATA_SIZE_AT, _HEADER = 4, 40, 44  # the canonical PCM header

    def __init__(self, path: Path, first: Speech) -> None:
        wav = io.BytesIO()
        first.write_wav(wav)
        payload = wav.getvalue()
        if payload[36:40] != b"data":  # what wave writes for PCM: sizes at 4 and 40
            raise OSError(f"unexpected WAV header from the wave module: {payload[:44]!r}")
        self.sample_rate = first.sample_rate
        self._data = len(first.samples)
        self._fd = write_atomically(path, payload)  # the descriptor of the file now in place

    def add(self, speech: Speech, *, gap_seconds: float) -> None:
        samples = (silence(gap_seconds, self.sample_rate).samples
                   + speech.resampled(self.sample_rate).samples)
        end = self._HEADER + self._data
        try:
            view = memoryview(samples)
            while view:
                view = view[os.pwrite(self._fd, view, end + len(samples) - len(view)):]
            self._data += len(samples)
            os.pwrite(self._fd, struct.pack("<I", 36 + self._data), self._RIFF_SIZE_AT)
            os.pwrite(self._fd, struct.pack("<I", self._data), self._DATA_SIZE_AT)
            os.fsync(self._fd)
        except OSError:
            self._data = end - self._HEADER
            try:  # leave it as it was: a whole WAV of the replies before this one
                os.ftruncate(self._fd, end)
            except OSError:
                pass
            raise

    def close(self) -> None:
        os.close(self._fd)


class PrintSpeaker(_AtOnce):
    """Prints each reply as a line (for --no-speak)."""

    def __init__(self, stream: TextIO | None = None, *, on_event: EventSink | None = None):
        self._stream = stream if stream is not None else sys.stdout
        self._events = _Events(on_event)

    def pause(self, seconds: float) -> None:
        """Printed replies need no pauses: the reader takes their own time."""

    def say(self, text: str) -> None:
        if text.strip():
            self._events.emit(Speaking(text, time.monotonic()))
            print(text, file=self._stream, flush=True)
            self._events.emit(Spoken(text, time.monotonic(), 0.0, False, 0.0))

    def close(self) -> None:
        self._stream.flush()
