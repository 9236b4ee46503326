"""Speech: a reply as audio, made with pyttsx3 (espeak-ng on Linux) but never played here.

pyttsx3's espeak driver plays through `aplay` and cannot be interrupted, so it is only
asked to write a WAV (`save_to_file`); speak.py plays it, writes it or prints instead.
That WAV lives a few milliseconds, but it holds the reply, maybe a glimmer's words: so it
is made in a private folder the caller gives (the data folder's speech/), named after the
process, and what a killed process left there is removed by the next one.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
import time
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from voice_glimmers.core.errors import SpeechOutputError
from voice_glimmers.core.words import speakable

_LOGGER = logging.getLogger(__name__)

ESPEAK_RATE = 22050  # what pyttsx3's espeak driver writes
DEFAULT_RATE = 200  # words per minute
_TEMP_PREFIX = "voice-glimmers-"  # then the process id, "-", random letters, ".wav"

# libespeak-ng lives once per process with a single synthesis callback, and pyttsx3.init()
# hands every caller the same engine: all synthesis in the process takes turns here.
_ENGINE_LOCK = threading.Lock()


@dataclass(frozen=True)
class Voice:
    """How replies sound. None keeps the engine's own default."""

    rate: int | None = None  # words per minute
    voice: str | None = None  # an espeak-ng voice id, name or language, e.g. "gmw/en-us", "en-us"
    volume: float | None = None  # 0.0 to 1.0

    def __post_init__(self) -> None:
        if self.rate is not None and not 20 <= self.rate <= 600:
            raise SpeechOutputError(f"Speech rate {self.rate} is out of reach; try 120 to 250")
        if self.volume is not None and not 0.0 <= self.volume <= 1.0:
            raise SpeechOutputError(f"Speech volume {self.volume} should be between 0.0 and 1.0")



@dataclass(frozen=True)
class Speech:
    """Synthesised audio: 16-bit signed little-endian mono samples."""

    samples: bytes
    sample_rate: int

    @property
    def seconds(self) -> float:
        return len(self.samples) / 2 / self.sample_rate

    @classmethod
    def from_wav(cls, stream: BinaryIO) -> Speech:
        try:
            with wave.open(stream, "rb") as wav:
                if wav.getsampwidth() != 2:
                    raise SpeechOutputError("Synthesised speech is not 16-bit audio")
                frames = wav.readframes(wav.getnframes())
                channels, rate = wav.getnchannels(), wav.getframerate()
        except (wave.Error, EOFError) as err:
            raise SpeechOutputError(f"Synthesised speech could not be read: {err}") from None
        if channels > 1:
            import numpy as np

            both = np.frombuffer(frames, dtype="<i2").reshape(-1, channels)
            frames = both.mean(axis=1).astype("<i2").tobytes()
        return cls(frames, rate)

    def write_wav(self, stream: BinaryIO) -> None:
        with wave.open(stream, "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(self.sample_rate)
            wav.writeframes(self.samples)

    def resampled(self, rate: int) -> Speech:
        """The same speech at another sample rate (linear interpolation)."""
        if rate == self.sample_rate or not self.samples:
            return Speech(self.samples, rate)
        import numpy as np

        old = np.frombuffer(self.samples, dtype="<i2").astype(np.float32)
        count = int(round(len(old) * rate / self.sample_rate))
        new = np.interp(np.arange(count) * (self.sample_rate / rate), np.arange(len(old)), old)
        return Speech(new.round().astype("<i2").tobytes(), rate)


DEFAULT_VOICE = Voice()


def silence(seconds: float, sample_rate: int) -> Speech:
    return Speech(bytes(2 * int(seconds * sample_rate)), sample_rate)


class Synthesizer:
    """Holds the process's pyttsx3 engine; speech for one text at a time, in any thread.

    `scratch_dir` is where the engine writes each reply before it is read back: a private
    folder for anything that may be a glimmer (None: the system's temporary folder)."""

    def __init__(self, voice: Voice = DEFAULT_VOICE, *, scratch_dir: Path | None = None) -> None:
        self.voice = voice
        self.scratch_dir = scratch_dir
        with _ENGINE_LOCK:
            self._engine = _engine()
            # None goes back to the default, not to whatever was used last. Rate and volume
            # are pyttsx3's documented defaults: espeak-ng reports the rate of its last
            # utterance rather than the one set, so the default cannot be read back.
            self._properties = {
                "rate": voice.rate if voice.rate is not None else DEFAULT_RATE,
                "voice": _voice_id(self._engine, voice.voice) if voice.voice
                else self._engine._voice_glimmers_voice,
                "volume": voice.volume if voice.volume is not None else 1.0,
            }

    def __call__(self, text: str) -> Speech:
        text = speakable(text)  # a glimmer's emoji stay in its words, never read by name
        with _ENGINE_LOCK:
            return _synthesize_with(self._engine, text, self._properties, self.scratch_dir)


def remove_leftover_speech(folder: Path) -> None:
    """Remove the temporary WAVs in `folder` whose process has ended (one killed while it
    made speech): each is named after the process that made it."""
    for path in folder.glob(f"{_TEMP_PREFIX}*.wav"):
        pid = path.name[len(_TEMP_PREFIX):].split("-", 1)[0]
        if not pid.isdigit() or _is_running(int(pid)):
            continue
        try:
            path.unlink()
        except FileNotFoundError:
            pass
        except OSError as err:
            _LOGGER.debug("could not remove %s: %s", path, err)


def _is_running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # there, but someone else's
        return True
    return True


def synthesize(text: str, voice: Voice = DEFAULT_VOICE) -> Speech:
    """Speech for `text` from pyttsx3 (espeak-ng on Linux), without playing it."""
    return Synthesizer(voice)(text)


def _driver_print(*args: object, **_: object) -> None:
    _LOGGER.debug("pyttsx3: %s", " ".join(str(a) for a in args))


def _engine() -> Any:
    """The process's pyttsx3 engine, its driver kept off stdout. Call under _ENGINE_LOCK."""
    try:
        import pyttsx3

        engine = pyttsx3.init()
    except Exception as err:  # ImportError, OSError (no libespeak-ng), RuntimeError
        raise SpeechOutputError(
            f"The speech engine could not start ({err}); install espeak-ng, "
            "or use --no-speak to print replies instead"
        ) from None
    # The espeak driver prints "Audio saved to ..." on stdout, which may carry JSON events.
    driver_module = getattr(engine.proxy, "_module", None)
    if driver_module is not None and getattr(driver_module, "print", None) is not _driver_print:
        driver_module.print = _driver_print
    if not hasattr(engine, "_voice_glimmers_voice"):  # seen first: still the driver's own
        engine._voice_glimmers_voice = engine.getProperty("voice")
    return engine


def _voice_id(engine: Any, wanted: str) -> str:
    key = wanted.strip().lower()
    voices = engine.getProperty("voices")
    for voice in voices:
        if key in (str(voice.id).lower(), str(voice.name).lower()):
            return voice.id
    for voice in voices:
        if key in (str(lang).lower() for lang in voice.languages or ()) or str(
            voice.id
        ).lower().endswith("/" + key):
            return voice.id
    raise SpeechOutputError(
        f"There is no voice called '{wanted}'; try e.g. 'en-us' or 'en-gb-scotland' "
        "(espeak-ng --voices lists them)"
    )


def _synthesize_with(engine: Any, text: str, properties: dict[str, Any],
                     folder: Path | None = None) -> Speech:
    """Speech from the engine, waiting for espeak-ng's own thread to finish the WAV.

    pyttsx3 2.99's espeak driver returns from runAndWait() after one 10 ms tick, maybe
    before the WAV is written, and cancels whatever espeak-ng is still doing when the
    next one starts: so wait for espeak-ng to be idle before and after, check the WAV,
    and try again if a reply came out empty.
    """
    if not text.strip():
        return Speech(b"", ESPEAK_RATE)
    patience = 5.0 + len(text) / 20
    errors: list[BaseException] = []
    finished = threading.Event()
    tokens = [
        engine.connect("error", lambda exception=None, **_: errors.append(exception)),
        engine.connect("finished-utterance", lambda **_: finished.set()),
    ]
    try:
        for attempt in range(1, 4):
            _wait_until_idle(engine, patience)
            finished.clear()
            read = _attempt(engine, text, properties, errors, folder)
            finished.wait(patience)
            idle = _wait_until_idle(engine, patience)
            speech = read()  # and the temporary WAV is gone
            if idle and speech is not None:
                return speech
            _LOGGER.info("speech for %r came out empty (attempt %d)", text[:40], attempt)
    finally:
        for token in tokens:
            engine.disconnect(token)
    raise SpeechOutputError(f"The speech engine made no sound for '{text[:40]}'")


def _attempt(engine: Any, text: str, properties: dict[str, Any], errors: list,
             folder: Path | None) -> Any:
    """Start one synthesis into a temporary WAV; returns a reader for when it is done."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=f"{_TEMP_PREFIX}{os.getpid()}-", suffix=".wav",
                                   dir=folder)
    except OSError as err:
        raise SpeechOutputError(f"Speech could not be made in {folder}: "
                                f"{(err.strerror or str(err)).lower()}") from None
    os.close(fd)
    try:
        for name, value in properties.items():
            if value is not None:
                engine.setProperty(name, value)
        engine.save_to_file(text, tmp)
        engine.runAndWait()
    except Exception as err:
        os.unlink(tmp)
        if getattr(engine, "_inLoop", False):  # leave the engine usable for the next reply
            engine.endLoop()
        raise SpeechOutputError(f"Speech could not be synthesised: {err}") from None
    if errors:
        os.unlink(tmp)
        raise SpeechOutputError(f"Speech could not be synthesised: {errors[0]}")

    def read() -> Speech | None:
        try:
            with open(tmp, "rb") as stream:
                speech = Speech.from_wav(stream)
        except (OSError, SpeechOutputError):
            return None
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return speech if speech.samples else None

    return read


def _wait_until_idle(engine: Any, timeout: float) -> bool:
    """Until espeak-ng's synthesis thread has nothing left to do (other drivers: at once)."""
    espeak = getattr(getattr(engine.proxy, "_module", None), "_espeak", None)
    is_playing = getattr(espeak, "IsPlaying", None)
    if is_playing is None:
        return True
    deadline = time.monotonic() + timeout
    while is_playing():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.001)
    return True
