"""Speakers: where replies go. Played aloud (interruptible), written to a WAV, or printed.

pyttsx3 only synthesises (speech.py); playback is ours (playback.py), which is what lets
stop() cut a long read-back short and tells the listening loop exactly when the
assistant is speaking, so that it never hears itself.
"""

from __future__ import annotations

import logging
import os
import queue
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from voice_glimmers.core.errors import SpeechOutputError
from voice_glimmers.core.events import Event, Speaking, SpeechFailed, Spoken
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
    there are logged, sent as an "error" event and raised by the next say(), wait() or
    close(). close() lets queued replies finish; call stop() first to cut them.
    """

    def __init__(
        self,
        voice: Voice = DEFAULT_VOICE,
        *,
        device: str | int | None = None,
        tail_seconds: float = 0.4,
        on_event: EventSink | None = None,
    ) -> None:
        self._player = Player(device)
        self._voice, self._tail, self._events = voice, tail_seconds, _Events(on_event)
        self._queue: queue.Queue[tuple[int, str] | None] = queue.Queue()
        self._cond = threading.Condition()
        self._pending = 0  # replies queued or being spoken
        self._generation = 0  # bumped by stop(); replies of an older generation are dropped
        self._quiet_at = 0.0  # monotonic time when the last audio plus its tail is over
        self._error: SpeechOutputError | None = None
        self._closed = False
        ready = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(ready,), name="voice-glimmers-speech", daemon=True
        )
        self._thread.start()
        ready.wait()
        self._raise_error()

    def say(self, text: str) -> None:
        self._raise_error()
        if self._closed:
            raise SpeechOutputError("The speaker is already closed")
        if text.strip():
            with self._cond:
                self._pending += 1
                self._queue.put((self._generation, text))

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
            synthesizer = Synthesizer(self._voice)  # the engine is made and used on this thread
        except SpeechOutputError as err:
            self._error = err
            return
        finally:
            ready.set()
        while (item := self._queue.get()) is not None:
            generation, text = item
            try:
                self._speak(synthesizer, generation, text)
            except Exception as err:  # the thread must outlive any one reply
                if not isinstance(err, SpeechOutputError):  # the words only with -v
                    _LOGGER.error("speaking a reply of %d words failed", len(text.split()),
                                  exc_info=True)
                    _LOGGER.debug("the reply was %r", text)
                    err = SpeechOutputError(f"Speech failed: {err}")
                _LOGGER.warning("%s", err)
                with self._cond:
                    self._error = err
                self._events.emit(SpeechFailed(text, time.monotonic(), str(err)))
            finally:
                with self._cond:
                    self._pending -= 1
                    self._cond.notify_all()

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
    """Writes every reply, with a short silence between, to one WAV file on close()."""

    def __init__(
        self, path: Path, voice: Voice = DEFAULT_VOICE, *, on_event: EventSink | None = None
    ) -> None:
        self._path = Path(path)
        folder = self._path.parent
        if self._path.is_dir() or not folder.is_dir() or not os.access(folder, os.W_OK):
            raise SpeechOutputError(f"Cannot write spoken replies to {self._path}: "
                                    "its folder is missing or not writable")
        self._synthesizer: Synthesizer | None = Synthesizer(voice)
        self._events = _Events(on_event)
        self._parts: list[Speech] = []
        self._closed = False

    def say(self, text: str) -> None:
        if self._closed or self._synthesizer is None:
            raise SpeechOutputError("The speaker is already closed")
        if not text.strip():
            return
        started = time.monotonic()
        speech = self._synthesizer(text)
        synth_ms = (time.monotonic() - started) * 1000
        self._events.emit(Speaking(text, time.monotonic()))
        if self._parts:
            rate = self._parts[0].sample_rate
            speech = speech.resampled(rate)
            self._parts.append(silence(GAP_SECONDS, rate))
        self._parts.append(speech)
        self._events.emit(Spoken(text, time.monotonic(), round(speech.seconds, 3), False,
                                 round(synth_ms, 1)))

    def close(self) -> None:
        """Write the WAV all at once (private, like every file voice-glimmers writes):
        a temporary file beside it, synced, then renamed into place."""
        import io

        from voice_glimmers.core.files import write_atomically

        if self._closed:
            return
        self._closed = True
        self._synthesizer = None
        rate = self._parts[0].sample_rate if self._parts else ESPEAK_RATE
        speech = Speech(b"".join(part.samples for part in self._parts), rate)
        wav = io.BytesIO()
        speech.write_wav(wav)
        try:
            os.close(write_atomically(self._path, wav.getvalue()))
        except OSError as err:
            raise SpeechOutputError(
                f"Cannot write spoken replies to {self._path}: {err.strerror or err}"
            ) from None


class PrintSpeaker(_AtOnce):
    """Prints each reply as a line (for --no-speak)."""

    def __init__(self, stream: TextIO | None = None, *, on_event: EventSink | None = None):
        self._stream = stream if stream is not None else sys.stdout
        self._events = _Events(on_event)

    def say(self, text: str) -> None:
        if text.strip():
            self._events.emit(Speaking(text, time.monotonic()))
            print(text, file=self._stream, flush=True)
            self._events.emit(Spoken(text, time.monotonic(), 0.0, False, 0.0))

    def close(self) -> None:
        self._stream.flush()
