"""Audio in: WAV files as an AudioSource (core.protocols), and format conversion.

Every source yields 16 kHz mono signed 16-bit little-endian blocks of about 0.1 s,
which is what Vosk wants. The microphone source is in microphone.py (and can be
imported from here). numpy is imported only when audio is converted.
"""

from __future__ import annotations

import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from voice_glimmers.core.errors import AudioFormatError

SAMPLE_RATE = 16000
_HINT_CONVERT = "convert it with e.g. 'sox IN -r 16000 -c 1 -b 16 OUT.wav'"


# --- conversion -----------------------------------------------------------


class PcmConverter:
    """Streaming conversion of interleaved PCM to 16 kHz mono int16.

    Keeps filter history and the resampling position between calls, so a stream
    converted block by block sounds the same as one converted whole.
    """

    def __init__(self, *, rate: int, channels: int, sample_width: int, is_float: bool = False):
        import numpy as np

        usable = sample_width in ((4, 8) if is_float else (1, 2, 3, 4))
        if rate <= 0 or channels <= 0 or not usable:
            kind = "float" if is_float else "integer"
            raise AudioFormatError(f"{rate} Hz {channels}-channel {sample_width * 8}-bit {kind} "
                                   "audio is not something I can read; " + _HINT_CONVERT)
        self.rate, self.channels = rate, channels
        self.sample_width, self.is_float = sample_width, is_float
        self._frame = channels * sample_width
        self._passthrough = (rate, channels, sample_width, is_float) == (SAMPLE_RATE, 1, 2, False)
        self._rest = b""
        self._taps = _lowpass(rate) if rate > SAMPLE_RATE else None
        self._history = np.zeros(0 if self._taps is None else len(self._taps) - 1)
        self._kept = np.zeros(0)  # filtered samples still needed for interpolation
        self._base = 0  # stream index of self._kept[0]
        self._out = 0  # output samples produced so far

    def convert(self, data: bytes) -> bytes:
        import numpy as np

        data = self._rest + bytes(data)
        usable = len(data) - len(data) % self._frame
        self._rest = data[usable:]
        if self._passthrough or usable == 0:
            return data[:usable]
        x = _decode(data[:usable], self.sample_width, self.is_float, self.channels)
        if self._taps is not None:
            padded = np.concatenate((self._history, x))
            x = np.convolve(padded, self._taps, mode="valid")
            self._history = padded[len(padded) - len(self._taps) + 1 :]
        buf = np.concatenate((self._kept, x))
        # the filter delays the sound by half its length: read that much later, so
        # converted audio keeps its timing
        delay = len(self._history) // 2
        last = self._base + len(buf) - 1 - delay  # newest usable position
        stop = max(0, last * SAMPLE_RATE // self.rate + 1) if last >= 0 else 0
        k = np.arange(self._out, stop, dtype=np.int64) * self.rate
        j = k // SAMPLE_RATE + delay - self._base
        frac = (k % SAMPLE_RATE) / SAMPLE_RATE
        values = buf[j] * (1.0 - frac) + buf[np.minimum(j + 1, len(buf) - 1)] * frac
        self._out = max(self._out, stop)
        drop = min(len(buf), self._out * self.rate // SAMPLE_RATE + delay - self._base)
        self._kept, self._base = buf[drop:], self._base + drop
        return np.clip(np.rint(values), -32768, 32767).astype("<i2").tobytes()


def _decode(data: bytes, width: int, is_float: bool, channels: int):
    """Interleaved PCM to a mono float array on the int16 scale."""
    import numpy as np

    if is_float:
        x = np.frombuffer(data, dtype="<f4" if width == 4 else "<f8").astype(np.float64) * 32768.0
    elif width == 1:
        x = (np.frombuffer(data, dtype=np.uint8).astype(np.float64) - 128.0) * 256.0
    elif width == 2:
        x = np.frombuffer(data, dtype="<i2").astype(np.float64)
    elif width == 3:
        b = np.frombuffer(data, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        x = ((b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)) << 8 >> 8).astype(np.float64) / 256.0
    else:
        x = np.frombuffer(data, dtype="<i4").astype(np.float64) / 65536.0
    return x if channels == 1 else x.reshape(-1, channels).mean(axis=1)


def _lowpass(rate: int):
    """A windowed-sinc low-pass at 7.2 kHz, against aliasing when downsampling."""
    import numpy as np

    n = int(16 * rate / SAMPLE_RATE) | 1
    t = np.arange(n) - (n - 1) / 2
    cutoff = 7200.0 / rate
    taps = 2 * cutoff * np.sinc(2 * cutoff * t) * np.hamming(n)
    return taps / taps.sum()


# --- WAV files ------------------------------------------------------------


@dataclass(frozen=True)
class WavFormat:
    rate: int
    channels: int
    sample_width: int
    is_float: bool
    data_offset: int
    data_size: int

    @property
    def duration(self) -> float:
        return self.data_size / (self.rate * self.channels * self.sample_width)


def read_wav_format(path: Path) -> WavFormat:
    """Read a WAV file's header (PCM 8/16/24/32-bit or float, any rate and channels)."""
    fmt = None
    try:
        with path.open("rb") as stream:
            head = stream.read(12)
            if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
                raise AudioFormatError(f"{path} is not a WAV file; " + _HINT_CONVERT)
            while True:
                chunk = stream.read(8)
                if len(chunk) < 8:
                    raise AudioFormatError(f"{path} is a WAV file with no audio data in it")
                name, length = chunk[:4], struct.unpack("<I", chunk[4:])[0]
                if name == b"data":
                    offset = stream.tell()
                    break
                if name == b"fmt ":
                    fmt = stream.read(length + (length & 1))
                else:
                    stream.seek(length + (length & 1), 1)
            available = max(0, path.stat().st_size - offset)
    except OSError as err:
        raise AudioFormatError(f"cannot read {path}: {err.strerror or err}") from None
    if fmt is None or len(fmt) < 16:
        raise AudioFormatError(f"{path} is a damaged WAV file (no format header)")
    tag, channels, rate, _, align, _ = struct.unpack("<HHIIHH", fmt[:16])
    if tag == 0xFFFE and len(fmt) >= 26:
        tag = struct.unpack("<H", fmt[24:26])[0]
    if tag not in (1, 3) or channels == 0 or rate == 0 or align == 0 or align % channels:
        raise AudioFormatError(f"{path} uses a WAV encoding I cannot read; " + _HINT_CONVERT)
    if length in (0, 0xFFFFFFFF) or length > available:
        # streamed WAVs leave the size unset; a cut-off one is read as far as it goes
        length = available
    length -= length % align
    if length == 0:
        raise AudioFormatError(f"{path} is a WAV file with no audio in it")
    width = align // channels
    try:
        PcmConverter(rate=rate, channels=channels, sample_width=width, is_float=tag == 3)
    except AudioFormatError as err:
        raise AudioFormatError(f"{path}: {err}") from None
    return WavFormat(rate, channels, width, tag == 3, offset, length)


class WavSource:
    """A WAV file as if it were spoken into the microphone; ends with the file."""

    def __init__(self, path: Path, *, realtime: bool = False, block_seconds: float = 0.1):
        self.path = Path(path)
        self.format = read_wav_format(self.path)
        self.duration = self.format.duration
        self.realtime = realtime
        self.block_seconds = block_seconds
        self._closed = threading.Event()

    def frames(self) -> Iterator[bytes]:
        f = self.format
        converter = PcmConverter(rate=f.rate, channels=f.channels, sample_width=f.sample_width,
                                 is_float=f.is_float)
        block = max(1, int(SAMPLE_RATE * self.block_seconds)) * 2
        chunk = max(1, int(f.rate * self.block_seconds)) * f.channels * f.sample_width
        pending = bytearray()
        sent = 0
        started = time.monotonic()
        with self.path.open("rb") as stream:
            stream.seek(f.data_offset)
            remaining = f.data_size
            while not self._closed.is_set():
                data = stream.read(min(chunk, remaining)) if remaining else b""
                remaining -= len(data)
                pending += converter.convert(data)
                end = not data
                while len(pending) >= block or (end and pending):
                    out = bytes(pending[:block])
                    del pending[:block]
                    sent += len(out) // 2
                    if self.realtime and self._closed.wait(
                        max(0.0, started + sent / SAMPLE_RATE - time.monotonic())
                    ):
                        return
                    yield out
                if end:
                    return

    def close(self) -> None:
        self._closed.set()
