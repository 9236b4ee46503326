"""Is someone speaking? A voice activity detector over 16 kHz mono int16 blocks.

WebRTC's detector (webrtcvad-wheels, MIT): a few microseconds for each 20 ms, so it can
listen all day at almost no cost, and the recogniser is fed only when there is speech.
Only this module imports webrtcvad, and only inside SpeechDetector.
"""

from __future__ import annotations

import operator
from array import array

FRAME_SECONDS = 0.02
"""The detector judges 20 ms at a time (it takes 10, 20 or 30 ms)."""

HANGOVER_FRAMES = (3, 5)
"""WebRTC keeps saying "speech" for a while after speech stops (its hangover): at the
most aggressive setting and 20 ms frames, 3 frames after a short burst and 5 after a
run of more than 6 speech frames (webrtc vad_core.c, kOverHangMax1VAG/kOverHangMax2VAG).
Measured on espeak-ng speech followed by silence: the last "speech" frame ends 0.10 to
0.12 s after the sound does."""
LONG_RUN_FRAMES = 6 + HANGOVER_FRAMES[1]
"""A run of "speech" frames this long ends with the long hangover."""
QUIET_BELOW = 10 ** -3.0
"""A "speech" frame with less than this share of its run's loudest frame's energy
(-30 dB) is taken for the hangover, when it is one of the run's last frames."""


class SpeechDetector:
    """Tells, 20 ms at a time, whether a block of audio holds speech.

    `aggressiveness` is WebRTC's: 0 calls the most sound speech, 3 the least (it lets
    steady noise go). What a block ends with is remembered: `silence` is the seconds
    of non-speech at the end of everything judged so far.
    """

    def __init__(self, *, aggressiveness: int = 3, sample_rate: int = 16000):
        try:
            import webrtcvad
        except ImportError:  # a broken install: every dependency should be there
            raise RuntimeError("end of speech needs the webrtcvad-wheels package: "
                               "pip install webrtcvad-wheels") from None
        self._vad = webrtcvad.Vad(aggressiveness)
        self.sample_rate = sample_rate
        self._frame_bytes = int(sample_rate * FRAME_SECONDS) * 2
        self._rest = b""
        self.silence = 0.0
        self._run = 0  # frames in the current (or last) run of "speech"
        self._loudest = 0  # energy of the run's loudest frame
        self._quiet = 0  # quiet "speech" frames at the run's end, so far

    def hears_speech(self, block: bytes) -> bool:
        """Does this block hold speech (in any of its 20 ms frames)? Updates `silence`."""
        data = self._rest + bytes(block)
        size = self._frame_bytes
        whole = len(data) - len(data) % size
        self._rest = data[whole:]
        speech = False
        for start in range(0, whole, size):
            frame = data[start:start + size]
            if self._vad.is_speech(frame, self.sample_rate):
                speech = True
                self._speech_frame(_energy(frame))
            else:
                self._run = 0
                self.silence += FRAME_SECONDS
        return speech

    def reset(self) -> None:
        self._rest = b""
        self.silence = 0.0
        self._run = self._loudest = self._quiet = 0

    def _speech_frame(self, energy: int) -> None:
        """A frame WebRTC calls speech: silence is what its hangover may hold, no more."""
        if self._run == 0:
            self._loudest = self._quiet = 0
        self._run += 1
        self._loudest = max(self._loudest, energy)
        self._quiet = self._quiet + 1 if energy < self._loudest * QUIET_BELOW else 0
        hangover = HANGOVER_FRAMES[self._run > LONG_RUN_FRAMES]
        self.silence = min(self._quiet, hangover, self._run - 1) * FRAME_SECONDS


def _energy(frame: bytes) -> int:
    samples = array("h", frame)
    return sum(map(operator.mul, samples, samples))
