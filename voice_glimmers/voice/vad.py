"""Is someone speaking? A voice activity detector over 16 kHz mono int16 blocks.

WebRTC's detector (webrtcvad-wheels, MIT): a few microseconds for each 20 ms, so it can
listen all day at almost no cost, and the recogniser is fed only when there is speech.
Only this module imports webrtcvad, and only inside SpeechDetector.
"""

from __future__ import annotations

FRAME_SECONDS = 0.02
"""The detector judges 20 ms at a time (it takes 10, 20 or 30 ms)."""


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

    def hears_speech(self, block: bytes) -> bool:
        """Does this block hold speech (in any of its 20 ms frames)? Updates `silence`."""
        data = self._rest + bytes(block)
        size = self._frame_bytes
        whole = len(data) - len(data) % size
        self._rest = data[whole:]
        speech = False
        for start in range(0, whole, size):
            if self._vad.is_speech(data[start:start + size], self.sample_rate):
                speech = True
                self.silence = 0.0
            else:
                self.silence += FRAME_SECONDS
        return speech

    def reset(self) -> None:
        self._rest = b""
        self.silence = 0.0
