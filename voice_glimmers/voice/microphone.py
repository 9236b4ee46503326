"""The microphone: PortAudio (through sounddevice) as an AudioSource, and the device list.

sounddevice is imported only when a microphone is listed or opened.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from voice_glimmers.core.errors import AudioDeviceError
from voice_glimmers.voice.audio import SAMPLE_RATE, PcmConverter
from voice_glimmers.voice.native import (
    CLOSE_SECONDS,
    NOT_ANSWERING,
    OPEN_SECONDS,
    NotAnswering,
    call_within,
    import_sounddevice,
)

_LOGGER = logging.getLogger(__name__)

RETRY_SECONDS = 3.0
STALL_SECONDS = 4.0
LOG_EVERY_SECONDS = 10.0


@dataclass(frozen=True)
class DeviceInfo:
    index: int
    name: str
    max_input_channels: int
    max_output_channels: int
    default_samplerate: float
    is_default_input: bool
    is_default_output: bool


def _sounddevice():
    try:
        return import_sounddevice()
    except OSError as err:  # the PortAudio library itself is missing
        raise AudioDeviceError(
            f"the sound system cannot start ({err}); install PortAudio (Debian: libportaudio2)"
        ) from None
    except NotAnswering:
        raise AudioDeviceError(f"{NOT_ANSWERING}, so the microphone cannot be used; restart "
                               "it, or log out and in again") from None


def list_devices() -> list[DeviceInfo]:
    """Every microphone and speaker PortAudio can see."""
    sd = _sounddevice()
    try:
        default_in, default_out = (sd.default.device[0], sd.default.device[1])
        return [
            DeviceInfo(d["index"], d["name"], d["max_input_channels"], d["max_output_channels"],
                       d["default_samplerate"], d["index"] == default_in,
                       d["index"] == default_out)
            for d in sd.query_devices()
        ]
    except sd.PortAudioError as err:
        raise AudioDeviceError(f"the list of sound devices cannot be read: {err}") from None


def find_input_device(device: str | int | None, devices: list[DeviceInfo]) -> DeviceInfo:
    """The microphone meant by a number, (part of) a name, or None for the default."""
    inputs = [d for d in devices if d.max_input_channels > 0]
    if not inputs:
        raise AudioDeviceError("no microphone found; plug one in and check it is switched on "
                               "and not muted, or listen to a file with --input FILE.wav")
    if device is None or device == "":
        return next((d for d in inputs if d.is_default_input), inputs[0])
    text = str(device).strip()
    if text.isdigit():
        found = [d for d in inputs if d.index == int(text)]
    else:
        found = [d for d in inputs if d.name.lower() == text.lower()] or [
            d for d in inputs if text.lower() in d.name.lower()
        ]
    if not found:
        raise AudioDeviceError(f"no microphone called '{text}'; "
                               "see 'voice-glimmers devices' for the ones there are")
    return found[0]


def _close(stream) -> None:
    try:
        stream.abort()
        stream.close()
    except Exception as err:  # a vanished device may not close cleanly
        _LOGGER.debug("closing the microphone stream: %s", err)


class MicSource:
    """The microphone, through a PortAudio callback stream.

    The callback only copies bytes into a bounded queue; when the queue is full the
    oldest block is dropped and counted in `overflows`. A microphone that goes away
    is retried every few seconds; on_status hears about it in plain words, once, and
    frames() gives one empty frame when it is back: the sound broke off there. Every
    call into the sound system is bounded (voice.native), so a frozen sound server
    never holds up close() or the thread reading frames().
    """

    def __init__(self, device: str | int | None = None, *, block_seconds: float = 0.1,
                 max_queued_blocks: int = 100, on_status: Callable[[str], None] | None = None):
        self.device = device
        self.block_seconds = block_seconds
        self.on_status = on_status
        self.dropped = 0
        self.input_overflows = 0
        self.device_name = ""
        self._blocks: deque[bytes] = deque(maxlen=max(1, max_queued_blocks))
        self._ready = threading.Event()
        self._closed = threading.Event()
        self._stream = None
        self._stream_lock = threading.Lock()  # held to set the stream, or to close it
        self._converter: PcmConverter | None = None
        self._said_not_answering = False
        self._open()

    @property
    def overflows(self) -> int:
        """Blocks lost: dropped from the full queue, or overrun inside PortAudio."""
        return self.dropped + self.input_overflows

    def _callback(self, indata, frames, time_info, status) -> None:
        if status.input_overflow:
            self.input_overflows += 1
        if len(self._blocks) == self._blocks.maxlen:
            self.dropped += 1
        self._blocks.append(bytes(indata))
        self._ready.set()

    def _open(self, *, cancel: threading.Event | None = None) -> None:
        """Open the microphone. First (no `cancel`): a sound server that does not answer
        within OPEN_SECONDS is an error. Later, from the reading thread: waits for it until
        close() (`cancel`), so that a frozen server has at most one open left waiting."""
        sd = _sounddevice()
        info = find_input_device(self.device, list_devices())
        self.device_name = info.name
        attempts = [(SAMPLE_RATE, 1), (int(info.default_samplerate), 1),
                    (int(info.default_samplerate), min(2, info.max_input_channels))]
        last_error: Exception | None = None
        for rate, channels in dict.fromkeys(attempts):
            def start(rate: int = rate, channels: int = channels):
                stream = sd.RawInputStream(
                    device=info.index, samplerate=rate, channels=channels, dtype="int16",
                    blocksize=max(1, int(rate * self.block_seconds)), callback=self._callback)
                try:
                    stream.start()
                except BaseException:
                    stream.close(ignore_errors=True)
                    raise
                return stream

            try:
                stream = call_within(start, OPEN_SECONDS if cancel is None else float("inf"),
                                     cancel=cancel, discard=_close)
            except NotAnswering:
                raise AudioDeviceError(
                    f"the microphone '{info.name}' cannot be opened: {NOT_ANSWERING}; restart "
                    "it, or log out and in again, or listen to a file with --input FILE.wav"
                ) from None
            except (sd.PortAudioError, ValueError) as err:
                last_error = err
                _LOGGER.debug("microphone %r refused %d Hz x%d: %s", info.name, rate, channels, err)
                continue
            with self._stream_lock:
                self._stream = stream
            if self._closed.is_set():  # close() came while it was opening
                self._close_stream()
            self._converter = None if (rate, channels) == (SAMPLE_RATE, 1) else PcmConverter(
                rate=rate, channels=channels, sample_width=2)
            _LOGGER.info("microphone %r open at %d Hz, %d channel(s)", info.name, rate, channels)
            return
        raise AudioDeviceError(
            f"the microphone '{info.name}' cannot be opened ({last_error}); it may be busy in "
            "another program: close that, or choose another with --device (see 'devices')")

    def frames(self) -> Iterator[bytes]:
        """16 kHz mono blocks; one empty block where the sound broke off and came back."""
        try:
            yield from self._frames()
        finally:
            self._close_stream()

    def _frames(self) -> Iterator[bytes]:
        reported, reported_at = 0, float("-inf")
        last_block = time.monotonic()
        while not self._closed.is_set():
            self._ready.clear()
            try:
                block = self._blocks.popleft()
            except IndexError:
                stream = self._stream
                stalled = time.monotonic() - last_block > STALL_SECONDS
                if stream is None or not stream.active or stalled:
                    if self._recover():
                        yield b""  # what was half-heard before must not run on into what follows
                    last_block = time.monotonic()
                else:
                    self._ready.wait(0.1)
                continue
            last_block = time.monotonic()
            if self.overflows != reported and last_block - reported_at >= LOG_EVERY_SECONDS:
                reported, reported_at = self.overflows, last_block
                _LOGGER.warning("microphone audio overflowed: %d block(s) lost so far", reported)
            if self._converter is not None:
                block = self._converter.convert(block)
            if block:
                yield block

    def _recover(self) -> bool:
        """Close the lost stream and try again every few seconds until it opens (True) or
        close() (False). Said once as it goes, once as it comes back; quiet in between."""
        name = self.device_name
        closed = self._close_stream()
        if self._closed.is_set():
            return False
        retry = f"Trying again every {RETRY_SECONDS:g} seconds."
        if closed:
            self._status(f"The microphone '{name}' stopped sending sound. {retry}")
        else:
            self._said_not_answering = True
            self._status(f"The microphone '{name}' went silent, and {NOT_ANSWERING}. {retry}")
        while not self._closed.wait(RETRY_SECONDS):
            try:
                self._open(cancel=self._closed)
            except AudioDeviceError as err:
                _LOGGER.debug("microphone still away: %s", err)
                continue
            if self._closed.is_set():
                return False
            self._blocks.clear()  # anything the lost stream left is from before the break
            self._status(f"The microphone '{self.device_name}' is back.")
            return True
        return False

    def _status(self, message: str) -> None:
        """Once, to whoever shows it (on_status), or else to the log."""
        _LOGGER.log(logging.INFO if self.on_status is not None else logging.WARNING,
                    "%s", message)
        if self.on_status is not None:
            self.on_status(message)

    def _close_stream(self) -> bool:
        """Close the stream, if there is one; False if the sound system did not answer.

        A close under way on another thread is waited for, as long as it may take: when
        frames() ends the stream is closed, and PortAudio must not be shut down (at exit)
        while a close is still running."""
        if not self._stream_lock.acquire(timeout=2 * CLOSE_SECONDS):
            return False
        try:
            stream, self._stream = self._stream, None
            if stream is None:
                return True
            try:
                call_within(lambda: _close(stream), CLOSE_SECONDS)
            except NotAnswering:
                return False
            return True
        finally:
            self._stream_lock.release()

    def close(self) -> None:
        self._closed.set()
        self._ready.set()
        if not self._close_stream() and not self._said_not_answering:
            self._said_not_answering = True
            self._status(f"{NOT_ANSWERING.capitalize()}; stopping without waiting for it.")
