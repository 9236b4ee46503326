"""Audio in: conversion to 16 kHz mono, WAV files of every common shape, bad files.

WAVs are real files: espeak-ng speech converted by sox, or built in memory.
"""

from __future__ import annotations

import io
import shutil
import struct
import subprocess
import threading
import time
import wave
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voice_glimmers.core.errors import AudioFormatError
from voice_glimmers.voice.audio import SAMPLE_RATE, PcmConverter, WavSource


def to_pcm16_mono(data: bytes, *, rate: int, channels: int, sample_width: int,
                  is_float: bool = False) -> bytes:
    """One whole buffer through a fresh converter."""
    return PcmConverter(rate=rate, channels=channels, sample_width=sample_width,
                        is_float=is_float).convert(data)

pytestmark = pytest.mark.skipif(not shutil.which("sox") or not shutil.which("espeak-ng"),
                                reason="needs sox and espeak-ng (make test installs them)")


def pcm(samples: np.ndarray) -> bytes:
    return np.clip(np.rint(samples), -32768, 32767).astype("<i2").tobytes()


def sine(freq: float, rate: int, seconds: float, channels: int = 1) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    wave_ = 10000 * np.sin(2 * np.pi * freq * t)
    return np.repeat(wave_[:, None], channels, axis=1).reshape(-1)


def dominant_frequency(data: bytes) -> float:
    x = np.frombuffer(data, "<i2").astype(float)
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.fft.rfftfreq(len(x), 1 / SAMPLE_RATE)[spectrum.argmax()])


def write_wav(path: Path, data: bytes, *, rate: int, channels: int = 1, width: int = 2) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(data)
    return path


@pytest.fixture(scope="module")
def speech(tmp_path_factory) -> Path:
    """About 3 s of real speech from espeak-ng (22.05 kHz mono), with a little silence."""
    folder = tmp_path_factory.mktemp("speech")
    raw = folder / "raw.wav"
    subprocess.run(["espeak-ng", "-v", "en", "-w", str(raw), "the smell of rain on the way home"],
                   check=True)
    padded = folder / "speech.wav"
    subprocess.run(["sox", str(raw), str(padded), "pad", "0.2", "0.3"], check=True)
    return padded


def soxi_duration(path: Path) -> float:
    return float(subprocess.run(["soxi", "-D", str(path)], check=True, capture_output=True,
                                text=True).stdout)


# --- to_pcm16_mono --------------------------------------------------------


@pytest.mark.parametrize("rate", [8000, 11025, 16000, 22050, 44100, 48000])
@pytest.mark.parametrize("channels", [1, 2])
def test_conversion_keeps_duration_and_pitch(rate, channels):
    out = to_pcm16_mono(pcm(sine(440, rate, 1.0, channels)), rate=rate, channels=channels,
                        sample_width=2)
    assert abs(len(out) // 2 - SAMPLE_RATE) <= 16  # within 1 ms
    assert abs(dominant_frequency(out) - 440) < 3


def test_sixteen_khz_mono_passes_through_unchanged():
    data = pcm(sine(300, SAMPLE_RATE, 0.3))
    assert to_pcm16_mono(data, rate=SAMPLE_RATE, channels=1, sample_width=2) == data


def test_downsampling_removes_what_16_khz_cannot_hold():
    """An 11 kHz tone cannot exist at 16 kHz; without the low-pass it would fold to 5 kHz."""
    out = to_pcm16_mono(pcm(sine(11000, 44100, 1.0)), rate=44100, channels=1, sample_width=2)
    level = np.sqrt(np.mean(np.frombuffer(out, "<i2").astype(float) ** 2))
    assert level < 10000 / np.sqrt(2) * 0.05  # more than 26 dB down


def test_stereo_is_mixed_to_mono():
    left = sine(440, SAMPLE_RATE, 0.5)
    both = np.stack([left, np.zeros_like(left)], axis=1).reshape(-1)
    out = np.frombuffer(to_pcm16_mono(pcm(both), rate=SAMPLE_RATE, channels=2, sample_width=2),
                        "<i2")
    assert np.abs(out.astype(float) - left / 2).max() <= 1


@pytest.mark.parametrize("shape", [
    dict(rate=0, channels=1, sample_width=2), dict(rate=16000, channels=0, sample_width=2),
    dict(rate=16000, channels=1, sample_width=5), dict(rate=16000, channels=1, sample_width=2,
                                                       is_float=True)])
def test_impossible_formats_are_refused_in_one_line(shape):
    with pytest.raises(AudioFormatError) as caught:
        to_pcm16_mono(b"\0" * 64, **shape)
    assert "\n" not in str(caught.value) and "sox" in str(caught.value)


def test_24_bit_negative_samples_keep_their_sign():
    samples = [-8388608, -1, 0, 8388607, -4194304]
    data = b"".join(s.to_bytes(3, "little", signed=True) for s in samples)
    out = np.frombuffer(to_pcm16_mono(data, rate=SAMPLE_RATE, channels=1, sample_width=3), "<i2")
    assert list(out) == [-32768, 0, 0, 32767, -16384]


@settings(max_examples=40, deadline=None)
@given(rate=st.sampled_from([8000, 16000, 22050, 44100, 48000]),
       channels=st.integers(1, 2),
       cuts=st.lists(st.integers(0, 9000), max_size=6))
def test_streaming_conversion_matches_converting_whole(rate, channels, cuts):
    """Cutting the input anywhere, even mid-frame, gives the same audio as one piece."""
    rng = np.random.default_rng(len(cuts) + rate)
    data = pcm(rng.normal(0, 6000, int(rate * 0.5) * channels))
    whole = np.frombuffer(to_pcm16_mono(data, rate=rate, channels=channels, sample_width=2), "<i2")
    converter = PcmConverter(rate=rate, channels=channels, sample_width=2)
    edges = sorted({min(c, len(data)) for c in cuts} | {0, len(data)})
    parts = b"".join(converter.convert(data[a:b]) for a, b in zip(edges, edges[1:], strict=False))
    streamed = np.frombuffer(parts, "<i2")
    assert len(streamed) == len(whole)
    assert np.abs(streamed.astype(int) - whole.astype(int)).max() <= 1


# --- WAV files ------------------------------------------------------------


@pytest.mark.parametrize("sox_args", [
    ["-r", "44100", "-c", "2"],
    ["-r", "8000"],
    ["-r", "48000", "-c", "2", "-b", "24"],
    ["-b", "8"],
    ["-b", "32"],
    ["-e", "floating-point", "-b", "32"],
    ["-r", "16000", "-c", "1"],
], ids=["44k-stereo", "8k", "48k-stereo-24bit", "8bit", "32bit", "float32", "16k"])
def test_wav_files_of_any_shape_give_the_same_speech(speech, tmp_path, sox_args):
    converted = tmp_path / "converted.wav"
    subprocess.run(["sox", str(speech), *sox_args, str(converted)], check=True)
    reference = b"".join(WavSource(speech).frames())
    source = WavSource(converted)
    out = b"".join(source.frames())
    assert abs(len(out) / 2 / SAMPLE_RATE - soxi_duration(converted)) < 0.005
    assert abs(len(out) - len(reference)) <= 2 * 16  # the same duration, within 1 ms
    n = min(len(out), len(reference)) // 2
    x, y = (np.frombuffer(b, "<i2")[:n].astype(float) for b in (out, reference))
    assert np.corrcoef(x, y)[0, 1] > 0.95  # the same sound, not just the same length


def test_blocks_are_a_tenth_of_a_second(speech):
    blocks = list(WavSource(speech).frames())
    assert {len(b) for b in blocks[:-1]} == {3200}
    assert 0 < len(blocks[-1]) <= 3200


def test_realtime_paces_the_file_at_speaking_speed(speech):
    source = WavSource(speech, realtime=True)
    started = time.monotonic()
    for _ in source.frames():
        pass
    assert abs(time.monotonic() - started - source.duration) < 0.4


def test_close_from_another_thread_ends_frames_promptly(speech):
    source = WavSource(speech, realtime=True)
    threading.Timer(0.3, source.close).start()
    started = time.monotonic()
    blocks = list(source.frames())
    assert time.monotonic() - started < 0.6
    assert 1 <= len(blocks) <= 6


def test_a_wav_whose_size_field_was_never_filled_in_is_read_to_the_end(tmp_path):
    """Recorders writing to a pipe leave the sizes at 0xFFFFFFFF."""
    path = write_wav(tmp_path / "a.wav", pcm(sine(440, 22050, 1.0)), rate=22050)
    raw = bytearray(path.read_bytes())
    raw[40:44] = struct.pack("<I", 0xFFFFFFFF)
    path.write_bytes(raw)
    out = b"".join(WavSource(path).frames())
    assert abs(len(out) // 2 - SAMPLE_RATE) <= 16


# --- bad input: one plain line each ----------------------------------------


def bad_inputs(tmp_path: Path) -> dict[str, Path]:
    text = tmp_path / "notes.wav"
    text.write_text("the smell of rain\n")
    empty = write_wav(tmp_path / "empty.wav", b"", rate=16000)
    cut = tmp_path / "cut.wav"
    cut.write_bytes(write_wav(tmp_path / "whole.wav", pcm(sine(440, 16000, 0.2)),
                              rate=16000).read_bytes()[:30])
    zero = tmp_path / "zero.wav"
    zero.write_bytes(b"")
    buf = io.BytesIO()
    buf.write(b"RIFF" + struct.pack("<I", 36 + 4) + b"WAVE")
    buf.write(b"fmt " + struct.pack("<IHHIIHH", 16, 2, 1, 8000, 4000, 256, 4))  # MS ADPCM
    buf.write(b"data" + struct.pack("<I", 4) + b"\0\0\0\0")
    adpcm = tmp_path / "adpcm.wav"
    adpcm.write_bytes(buf.getvalue())
    return {"not a wav": text, "empty": empty, "cut off header": cut, "zero bytes": zero,
            "compressed": adpcm, "missing": tmp_path / "nowhere.wav", "a folder": tmp_path}


@pytest.mark.parametrize("case", ["not a wav", "empty", "cut off header", "zero bytes",
                                  "compressed", "missing", "a folder"])
def test_bad_wav_files_give_one_plain_line(tmp_path, case):
    path = bad_inputs(tmp_path)[case]
    with pytest.raises(AudioFormatError) as caught:
        WavSource(path)
    message = str(caught.value)
    assert "\n" not in message and str(path) in message
