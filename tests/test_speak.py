"""Speech out without a sound card: real pyttsx3 + espeak-ng synthesis, WAV and printed replies.

Playback through a real sound server is in test_speak_pulse.py.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import textwrap
import wave
from pathlib import Path

import numpy as np
import pytest

from voice_glimmers.core.errors import SpeechOutputError
from voice_glimmers.voice.speakers import (
    GAP_SECONDS,
    PrintSpeaker,
    Speech,
    Voice,
    WavSpeaker,
    synthesize,
)

SHORT = "Saved: the smell of rain."
LONG = (
    "You noticed three glimmers today. The light through the kitchen window. "
    "Warm socks from the dryer. And the cat on your lap."
)


def level(speech: Speech) -> tuple[float, int]:
    """(RMS, peak) of the samples, in 16-bit units."""
    samples = np.frombuffer(speech.samples, dtype="<i2").astype(np.float64)
    return float(np.sqrt(np.mean(samples**2))), int(np.abs(samples).max())


def sox_stat(path: Path) -> dict[str, float]:
    result = subprocess.run(["sox", str(path), "-n", "stat"], capture_output=True, text=True)
    stats = {}
    for line in result.stderr.splitlines():
        name, _, value = line.partition(":")
        try:
            stats[name.strip()] = float(value)
        except ValueError:
            pass
    return stats


def test_synthesis_is_real_speech_whose_length_follows_the_text():
    short, long = synthesize(SHORT), synthesize(LONG)
    assert short.sample_rate == long.sample_rate == 22050
    assert 0.8 < short.seconds < 4.0
    assert long.seconds > 2.5 * short.seconds
    for speech in (short, long):
        rms, peak = level(speech)
        assert rms > 1000 and peak > 8000  # silence is 0; espeak-ng speech sits near 3000 RMS


def test_back_to_back_replies_all_come_out_whole():
    """espeak-ng finishes on its own thread; a reply must never be read half-written."""
    long = " ".join([LONG] * 6)
    first_long, first_short = synthesize(long).seconds, synthesize(SHORT).seconds
    assert first_long > 20
    for _ in range(5):
        assert abs(synthesize(long).seconds - first_long) < 0.2
        assert abs(synthesize(SHORT).seconds - first_short) < 0.2


def test_rate_and_volume_change_the_sound():
    """In a process of its own: the speech engine is one per process, and what other tests
    left in it must not decide this one (it did, now and then, in the full suite)."""
    code = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from test_speak import SHORT, level
        from voice_glimmers.voice.speakers import Voice, synthesize
        slow, fast = synthesize(SHORT, Voice(rate=110)), synthesize(SHORT, Voice(rate=300))
        assert slow.seconds > 1.8 * fast.seconds, (slow.seconds, fast.seconds)
        quiet, loud = synthesize(SHORT, Voice(volume=0.2)), synthesize(SHORT, Voice(volume=1.0))
        assert level(quiet)[0] < 0.5 * level(loud)[0], (level(quiet), level(loud))
        # a setting left as None goes back to the engine's own default, not the last one used
        gap = abs(synthesize(SHORT).seconds - synthesize(SHORT, Voice(rate=200)).seconds)
        assert gap < 0.1, gap
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


def test_voices_are_found_by_id_name_or_language():
    for name in ("gmw/en-us", "English (America)", "en-us", "EN-GB-SCOTLAND"):
        assert synthesize("hello", Voice(voice=name)).seconds > 0.2
    with pytest.raises(SpeechOutputError, match="no voice called 'klingon-x'"):
        synthesize("hello", Voice(voice="klingon-x"))
    assert synthesize("hello there").seconds > 0.2  # the engine is still usable afterwards


def test_an_unknown_voice_is_refused_before_anything_is_said(tmp_path):
    with pytest.raises(SpeechOutputError, match="no voice called"):
        WavSpeaker(tmp_path / "replies.wav", Voice(voice="no-such-voice"))


@pytest.mark.parametrize("voice", [{"rate": 0}, {"rate": 5000}, {"volume": 1.5}, {"volume": -1}])
def test_impossible_voice_settings_are_refused_in_one_line(voice):
    with pytest.raises(SpeechOutputError) as caught:
        Voice(**voice)
    assert "\n" not in str(caught.value)


def test_blank_text_is_no_speech():
    assert synthesize("   ").samples == b""


def test_speech_resamples_and_round_trips_through_wav():
    speech = synthesize(SHORT)
    doubled = speech.resampled(44100)
    assert doubled.sample_rate == 44100
    assert abs(doubled.seconds - speech.seconds) < 0.001
    buffer = io.BytesIO()
    speech.write_wav(buffer)
    buffer.seek(0)
    assert Speech.from_wav(buffer) == speech


def test_wav_speaker_writes_three_replies_to_one_wav(tmp_path):
    replies = [SHORT, "What was it?", LONG]
    expected = sum(synthesize(text).seconds for text in replies) + 2 * GAP_SECONDS
    events: list[dict] = []
    out = tmp_path / "replies.wav"
    with WavSpeaker(out, on_event=lambda e: events.append(e.to_dict())) as speaker:
        so_far = 0.0
        for text in replies:
            speaker.say(text)
            with wave.open(str(out)) as wav:  # written as it goes, a whole WAV each time
                seconds = wav.getnframes() / wav.getframerate()
                assert len(wav.readframes(wav.getnframes())) == 2 * wav.getnframes()
            assert seconds > so_far + 0.3
            so_far = seconds
        assert speaker.wait() and not speaker.is_speaking()
    with wave.open(str(out)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 22050)
        seconds = wav.getnframes() / wav.getframerate()
    # espeak-ng's timing wobbles by a few ms from one run to the next; about the sum is enough
    assert abs(seconds - expected) < 0.15
    spoken = sum(e["seconds"] for e in events if e["type"] == "spoken")
    assert abs(seconds - (spoken + 2 * GAP_SECONDS)) < 0.005
    soxi = subprocess.run(["soxi", "-D", str(out)], capture_output=True, text=True, check=True)
    assert abs(float(soxi.stdout) - seconds) < 0.001
    assert sox_stat(out)["RMS     amplitude"] > 0.03  # real speech, not a silent stub
    assert [(e["type"], e["text"]) for e in events] == [
        (kind, text) for text in replies for kind in ("speaking", "spoken")
    ]
    assert all(e["interrupted"] is False and e["seconds"] > 0.3 for e in events[1::2])
    assert sorted(os.listdir(tmp_path)) == ["replies.wav"]  # no temporary file left behind
    assert out.stat().st_mode & 0o777 == 0o600  # it holds glimmers read back: private


def test_wav_speaker_with_nothing_said_writes_an_empty_wav(tmp_path):
    out = tmp_path / "quiet.wav"
    WavSpeaker(out).close()
    with wave.open(str(out)) as wav:
        assert wav.getnframes() == 0


def test_wav_speaker_replaces_an_old_file_whole_with_its_first_reply(tmp_path):
    out = tmp_path / "replies.wav"
    out.write_bytes(b"yesterday's replies")
    speaker = WavSpeaker(out)
    assert out.read_bytes() == b"yesterday's replies"  # nothing said yet
    speaker.say(SHORT)
    assert out.read_bytes().startswith(b"RIFF")
    speaker.close()
    with wave.open(str(out)) as wav:
        assert abs(wav.getnframes() / wav.getframerate() - synthesize(SHORT).seconds) < 0.15
    assert sorted(os.listdir(tmp_path)) == ["replies.wav"]


def test_wav_speaker_that_cannot_write_says_so_and_leaves_nothing(tmp_path):
    folder = tmp_path / "replies"
    folder.mkdir()
    speaker = WavSpeaker(folder / "replies.wav")
    folder.chmod(0o500)
    try:
        if os.access(folder, os.W_OK):  # root writes anywhere: take the folder away instead
            folder.chmod(0o700)
            folder.rmdir()
        with pytest.raises(SpeechOutputError, match="Cannot write spoken replies to"):
            speaker.say(SHORT)
        with pytest.raises(SpeechOutputError, match="Cannot write spoken replies to"):
            speaker.close()  # nor the empty WAV it writes when nothing was said
    finally:
        if folder.exists():
            folder.chmod(0o700)
    assert not folder.exists() or list(folder.iterdir()) == []

def test_wav_speaker_refuses_a_folder_that_is_not_there(tmp_path):
    with pytest.raises(SpeechOutputError, match="folder is missing"):
        WavSpeaker(tmp_path / "no" / "such" / "replies.wav")
    with pytest.raises(SpeechOutputError):
        WavSpeaker(tmp_path)  # a folder, not a file


def test_print_speaker_prints_each_reply_once():
    stream, events = io.StringIO(), []
    with PrintSpeaker(stream, on_event=lambda e: events.append(e.to_dict())) as speaker:
        speaker.say(SHORT)
        speaker.say("  ")
        speaker.say("What was it?")
        speaker.stop()
        assert speaker.wait(0) and not speaker.is_speaking()
    assert stream.getvalue() == f"{SHORT}\nWhat was it?\n"
    assert [e["type"] for e in events] == ["speaking", "spoken"] * 2


def test_a_failing_event_handler_does_not_stop_the_replies(tmp_path):
    def broken(event) -> None:
        raise RuntimeError("handler bug")

    stream = io.StringIO()
    PrintSpeaker(stream, on_event=broken).say(SHORT)
    assert stream.getvalue() == SHORT + "\n"


def test_stdout_stays_clean_while_synthesising(tmp_path):
    """pyttsx3's espeak driver prints 'Audio saved to ...'; stdout may carry JSON events."""
    script = textwrap.dedent(
        f"""
        import sys
        from voice_glimmers.voice.speakers import WavSpeaker, synthesize
        for _ in range(3):
            assert synthesize({SHORT!r}).seconds > 0.5
        with WavSpeaker(sys.argv[1]) as speaker:
            speaker.say("What was it?")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "out.wav")],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert "Audio saved" not in result.stderr
    assert (tmp_path / "out.wav").stat().st_size > 20000


@pytest.mark.skipif(not shutil.which("pulseaudio"), reason="checks the message PortAudio gives")
def test_no_sound_server_is_one_line_not_a_traceback(tmp_path):
    """With no sound server at all, building a speaker says so in one line."""
    (tmp_path / "client.conf").write_text("autospawn = no\n")
    env = dict(
        os.environ,
        XDG_RUNTIME_DIR=str(tmp_path),
        PULSE_SERVER=f"unix:{tmp_path}/nothing-here",
        PULSE_CLIENTCONFIG=str(tmp_path / "client.conf"),
    )
    script = textwrap.dedent(
        """
        import sys
        from voice_glimmers.core.errors import SpeechOutputError
        from voice_glimmers.voice.speakers import Pyttsx3Speaker
        try:
            Pyttsx3Speaker()
        except SpeechOutputError as err:
            print(err, file=sys.stderr)
            sys.exit(3)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 3, result.stderr
    message = [line for line in result.stderr.splitlines() if not line.startswith("ALSA lib")]
    assert len(message) == 1 and "speaker" in message[0] and "--no-speak" in message[0]
    assert "Traceback" not in result.stderr
