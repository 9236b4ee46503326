"""Speech recognition: what was heard, as partial and final results, from Vosk.

Only this module imports vosk, and only inside VoskTranscriber. End of speech comes
from the model's own endpoint rules (conf/model.conf), unless listen/turns.py decides it
sooner (finish()) and leaves silence unfed (skip()).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from voice_glimmers.core.errors import ModelNotFound
from voice_glimmers.core.heard import Partial, Utterance, Word
from voice_glimmers.voice.models import is_model_dir

_LOGGER = logging.getLogger(__name__)


def utterance_from_words(words: tuple[Word, ...], *, at: float) -> Utterance | None:
    """An Utterance from recognised words (None when there are none); `at` is used
    for the times when there are no words."""
    text = " ".join(w.word for w in words).strip()
    if not text:
        return None
    confidence = sum(w.conf for w in words) / len(words) if words else 1.0
    start = words[0].start if words else at
    end = words[-1].end if words else at
    return Utterance(text=text, confidence=confidence, start=start, end=end, words=words)


class VoskTranscriber:
    """A Vosk recogniser over one model folder, fed 16 kHz mono int16 blocks.

    Feed it blocks of about 0.1 s: Vosk checks for the end of speech once per block.
    Not thread-safe; use it from one thread (Vosk releases the GIL while decoding).
    """

    def __init__(self, model_dir: Path, *, sample_rate: int = 16000):
        model_dir = Path(model_dir)
        if not is_model_dir(model_dir):
            raise ModelNotFound(
                f"{model_dir} is not a Vosk model folder (it has no am/final.mdl and "
                "conf/model.conf); see 'voice-glimmers model list'"
            )
        try:
            import vosk
        except ImportError:
            raise ModelNotFound("speech recognition needs the vosk package: "
                                "pip install vosk") from None
        # Kaldi prints warnings at level -1 ("Discarding word-ids ..."): keep them for -v
        vosk.SetLogLevel(0 if _LOGGER.isEnabledFor(logging.DEBUG) else -2)
        try:
            self._model = vosk.Model(str(model_dir))
        except Exception as err:  # vosk raises a bare Exception for a model it cannot load
            raise ModelNotFound(
                f"the speech model in {model_dir} could not be loaded ({err}); it may be "
                "damaged or incomplete: download it again with 'voice-glimmers model download'"
            ) from None
        self.model_dir = model_dir
        self.sample_rate = sample_rate
        self._recognizer = vosk.KaldiRecognizer(self._model, float(sample_rate))
        self._recognizer.SetWords(True)
        self._recognizer.SetPartialWords(True)
        self._samples = 0
        self._skipped = 0  # samples left unfed (skip()): Vosk's times are of what it was fed
        self._ignore_before = 0.0
        self._last_partial = ""
        self._partial_words: tuple[Word, ...] = ()

    @property
    def position(self) -> float:
        """Seconds of audio accepted (or skipped) so far."""
        return self._samples / self.sample_rate

    @property
    def partial_words(self) -> tuple[Word, ...]:
        """The words of the utterance so far, with Vosk's times (empty between utterances)."""
        return self._partial_words

    def skip(self, frame: bytes) -> None:
        """Audio not fed to Vosk (silence between utterances): it counts in the times, not
        in the recogniser's work. Only between utterances, when Vosk holds nothing."""
        self._samples += len(frame) // 2
        self._skipped += len(frame) // 2

    def accept(self, frame: bytes) -> list[Partial | Utterance]:
        self._samples += len(frame) // 2
        if self._recognizer.AcceptWaveform(bytes(frame)):
            return self._final(self._recognizer.Result())
        result = json.loads(self._recognizer.PartialResult())
        words = self._words(result.get("partial_result"))
        self._partial_words = words or ()
        text = " ".join(w.word for w in words) if words is not None else result.get("partial", "")
        if text == self._last_partial:
            return []
        self._last_partial = text
        return [Partial(text)] if text else []

    def flush(self) -> list[Partial | Utterance]:
        return self._final(self._recognizer.FinalResult())

    def finish(self) -> list[Partial | Utterance]:
        """End the utterance now, with Vosk's own FinalResult (its words and times)."""
        return self.flush()

    def unknown_words(self, words: list[str]) -> list[str]:
        """The words this speech model cannot hear: not in its vocabulary (Vosk's
        vosk_model_find_word). A wake word it does not know is never heard."""
        return [word for word in words if self._model.vosk_model_find_word(word) < 0]

    def reset(self) -> None:
        """Forget whatever is half-heard. Vosk may still decode audio it had buffered,
        so words that began before this moment are dropped from later results too."""
        self._recognizer.Reset()
        self._ignore_before = self.position
        self._last_partial = ""
        self._partial_words = ()

    def _final(self, raw: str) -> list[Partial | Utterance]:
        self._last_partial = ""
        self._partial_words = ()
        result = json.loads(raw)
        words = self._words(result.get("result"))
        if words is None:  # no word list: only the text (should not happen with SetWords)
            text = result.get("text", "").strip()
            words = (Word(text, 1.0, self.position, self.position),) if text else ()
        utterance = utterance_from_words(words, at=self.position)
        if utterance is not None:
            _LOGGER.debug("heard %r (%.2f) %.2f-%.2f s", utterance.text, utterance.confidence,
                          utterance.start, utterance.end)
        return [utterance] if utterance is not None else []

    def _words(self, items: list[dict[str, Any]] | None) -> tuple[Word, ...] | None:
        if items is None:
            return None
        offset = self._skipped / self.sample_rate
        words = (
            Word(str(w["word"]), float(w.get("conf", 1.0)), float(w["start"]) + offset,
                 float(w["end"]) + offset)
            for w in items if str(w["word"]).strip()
        )
        return tuple(w for w in words if w.start >= self._ignore_before)
