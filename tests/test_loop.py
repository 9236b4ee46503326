"""The English path end to end at transcript level: scripted finals drive the real loop.

The transcriber and speaker here are stand-ins that move with audio time; the gate,
dialogue, store and loop are the real ones. (Vosk, PulseAudio and espeak-ng are
tested for real in test_listen.py, test_transcribe*.py and test_speak*.py.)
"""

from __future__ import annotations

import io
import json
import random
from datetime import datetime, time

import pytest
from fakes import AudioClock, ScriptedTranscriber, SilenceSource, TimedSpeaker

from voice_glimmers.app.settings import Settings, intents_dir
from voice_glimmers.dialogue.conversation import Dialogue
from voice_glimmers.language.bundle import Language
from voice_glimmers.listen.events import Display, EventLog
from voice_glimmers.listen.gate import Gate, is_barge_in
from voice_glimmers.listen.loop import Loop
from voice_glimmers.store.glimmer_store import GlimmerStore
from voice_glimmers.understand.wake import WakeWord


@pytest.fixture(scope="module")
def language():
    return Language.from_dir(intents_dir() / "en")


def long_day(count):
    """A store holding `count` long glimmers today: reading them back takes a while."""
    store = GlimmerStore.in_memory()
    for i in range(count):
        store.add(f"a long and lovely glimmer number {i} with the sun on the hills",
                  at=datetime.fromisoformat(f"2026-11-27T1{i}:00:00+00:00"))
    return store


def run_script(language, script, *, seconds=None, start="2026-11-27T15:00:00+00:00",
               wake="glimmer", reflection_time=None, store=None, half_duplex=True,
               likeness=None):
    clock = AudioClock(datetime.fromisoformat(start))
    store = store or GlimmerStore.in_memory()
    settings = Settings(wake_word=wake)
    dialogue = Dialogue(store, language, settings, question_timeout=20, rng=random.Random(1),
                        likeness=likeness)
    transcriber = ScriptedTranscriber(script, clock)
    speaker = TimedSpeaker(clock)
    events = io.StringIO()
    loop = Loop(
        source=SilenceSource(seconds or (max(s[0] for s in script) + 3)),
        transcriber=transcriber, dialogue=dialogue, speaker=speaker, clock=clock,
        gate=Gate(dialogue.wake, follow_up_seconds=6, question_seconds=20),
        events=EventLog(events), display=Display(io.StringIO()),
        half_duplex=half_duplex, reflection_time=reflection_time,
    )
    loop.run()
    log = [json.loads(line) for line in events.getvalue().splitlines()]
    return store, speaker, log, transcriber


def test_wake_word_gates_room_talk_and_the_follow_up_window_lets_delete_through(language):
    store, speaker, log, _ = run_script(language, [
        (2, "the meeting moved to three"),
        (5, "glimmer the smell of rain on the way home"),
        (9, "delete that"),            # within the follow-up window after "Saved"
        (15, "yes"),                   # the answer to the question
        (40, "scratch that"),          # no wake word, long after: dropped
    ])
    assert speaker.said[0] == "Saved: the smell of rain on the way home."
    assert speaker.said[1].startswith("Delete 'the smell of rain on the way home'?")
    assert speaker.said[2].startswith("Deleted.")
    assert len(speaker.said) == 3
    assert store.all() == []
    dropped = [e for e in log if e["type"] == "dropped"]
    assert [d["reason"] for d in dropped] == ["not for me", "not for me"]
    assert all("text" not in d for d in dropped)


def test_glimmers_heard_as_glimmers_wakes_it_too(language):
    store, speaker, _, _ = run_script(language, [(2, "glimmers the cat purring")])
    assert [g.text for g in store.all()] == ["the cat purring"]


def test_wake_word_none_acts_on_every_utterance_but_ignores_chatter(language):
    store, speaker, log, _ = run_script(language, [
        (2, "the meeting moved to three"),
        (10, "what were my glimmers today"),
    ], wake=None)
    assert len(speaker.said) == 1
    assert speaker.said[0].startswith("Nothing saved today, and that's alright.")
    assert [e["reason"] for e in log if e["type"] == "dropped"] == ["no intent"]


def test_pause_until_resume(language):
    store, speaker, log, _ = run_script(language, [
        (2, "glimmer stop listening"),
        (10, "glimmer the smell of rain"),
        (20, "glimmer start listening"),
        (30, "glimmer the smell of rain"),
    ])
    assert "stop listening" in speaker.said[0]
    assert speaker.said[1] == "I'm listening again."
    assert [g.text for g in store.all()] == ["the smell of rain"]
    assert "paused" in [e.get("reason") for e in log]


def test_evening_offer_at_the_set_time_and_yes_runs_the_reflection(language):
    store = GlimmerStore.in_memory()
    store.add("a warm bath", at=datetime.fromisoformat("2026-11-27T19:00:00+00:00"))
    _, speaker, _, _ = run_script(language, [(25, "yes")], seconds=40,
                                  start="2026-11-27T20:29:50+00:00",
                                  reflection_time=time(20, 30), store=store)
    assert speaker.said[0].startswith("It's evening.")
    assert "A warm bath." in speaker.said
    assert sum(s.startswith("It's evening.") for s in speaker.said) == 1


def test_the_evening_offer_answers_nothing_heard_and_the_log_ends_with_stopped(language):
    _, _, log, _ = run_script(language, [], seconds=20, start="2026-11-27T20:29:55+00:00",
                              reflection_time=time(20, 30))
    offer = next(e for e in log if e["type"] == "reply")
    assert offer["intent"] == "reflect" and offer["ms_since_final"] is None
    assert log[-1]["type"] == "stopped"


def test_not_tonight_is_taken_without_nagging(language):
    _, speaker, _, _ = run_script(language, [(25, "not tonight")], seconds=120,
                                  start="2026-11-27T20:29:50+00:00",
                                  reflection_time=time(20, 30))
    assert speaker.said == [
        "It's evening. Would you like a quiet moment with today? Say yes, or 'not tonight'.",
        "Alright. Rest well.",
    ]


def test_no_evening_offer_before_the_time(language):
    _, speaker, _, _ = run_script(language, [], seconds=30, start="2026-11-27T20:00:00+00:00",
                                  reflection_time=time(20, 30))
    assert speaker.said == []


def test_it_does_not_hear_itself_and_stop_barges_in(language):
    store = long_day(4)
    _, speaker, log, transcriber = run_script(language, [
        (2, "glimmer lets reflect"),
        (6, "glimmer the smell of rain"),   # heard while it speaks: its own voice or not, dropped
        (9, "stop"),
    ], store=store)
    assert speaker.stops == 1
    assert [e["reason"] for e in log if e["type"] == "dropped"] == ["speaking"]
    assert any(e["type"] == "barge_in" for e in log)
    assert [g.text for g in store.all() if "rain" in g.text] == []
    assert transcriber.resets >= 1  # half-heard audio from while it spoke is forgotten


def test_low_confidence_capture_is_checked_first(language):
    store, speaker, _, _ = run_script(language, [
        (2, "glimmer the song bird", 0.3),
        (6, "no"),
    ])
    assert speaker.said[0] == (
        "I heard: 'the song bird'. Shall I save it? Say yes, no, or say it again.")
    assert store.all() == []


def test_events_carry_finals_intents_and_replies_in_order(language):
    _, _, log, _ = run_script(language, [(2, "glimmer the smell of rain")])
    kinds = [e["type"] for e in log]
    assert kinds.index("final") < kinds.index("intent") < kinds.index("reply")
    reply = next(e for e in log if e["type"] == "reply")
    assert reply["saved"] == 1 and reply["ms_since_final"] >= 0


@pytest.mark.parametrize("text, expected", [
    ("stop", True), ("glimmer stop", True), ("stop please", True),
    ("stop listening", False), ("dont stop the music", False), ("the bus stop", False),
])
def test_barge_in_is_only_a_plain_stop(text, expected, language):
    wake = WakeWord.of("glimmer", language)
    assert is_barge_in(text, language.lexicon, wake) is expected


def test_words_of_danger_are_answered_in_the_follow_up_window_even_without_a_command(language):
    _, speaker, _, _ = run_script(language, [
        (2, "glimmer the smell of rain"),
        (6, "i want to die"),
    ])
    assert speaker.said[0] == "Saved: the smell of rain."
    assert "reach out to someone" in speaker.said[1]


def test_words_of_danger_are_answered_with_no_wake_word_set(language):
    store, speaker, _, _ = run_script(language, [(2, "i want to kill myself")], wake=None)
    assert len(speaker.said) == 1 and "emergency" in speaker.said[0]
    assert store.all() == []


def test_while_paused_only_danger_that_names_us_is_answered(language):
    _, speaker, log, _ = run_script(language, [
        (2, "glimmer stop listening"),
        (10, "i want to die"),           # paused, not said to us: the pause is kept
        (20, "glimmer i want to die"),   # said to us: answered even while paused
    ])
    assert "stop listening" in speaker.said[0]
    assert len(speaker.said) == 2 and "reach out to someone" in speaker.said[1]
    assert [e["reason"] for e in log if e["type"] == "dropped"] == ["paused"]


def test_a_question_at_the_end_of_a_long_reply_waits_from_when_it_was_spoken(language):
    store = long_day(4)  # four: all read at once, with their pauses, before the question
    _, speaker, _, _ = run_script(language, [(2, "glimmer lets reflect"), (72, "yes")],
                                  store=store)
    spoken_for = 0.06 * sum(len(s) for s in speaker.said[:-1])
    assert spoken_for > 20  # longer than the question timeout itself
    assert speaker.said[-1] == "What was it? Or say 'not now'."


def test_another_wake_word_reaches_the_commands_too(language):
    _, speaker, _, _ = run_script(language, [
        (2, "computer stop listening"),
        (10, "computer start listening"),
    ], wake="computer")
    assert "stop listening" in speaker.said[0]
    assert speaker.said[1] == "I'm listening again."


def test_a_late_evening_offer_is_still_made_after_midnight(language):
    _, speaker, _, _ = run_script(language, [], seconds=20, start="2026-11-28T00:10:00+00:00",
                                  reflection_time=time(23, 30))
    assert speaker.said[0].startswith("It's evening.")


class FailingSpeaker(TimedSpeaker):
    """A speaker whose sound device has gone away."""

    def say(self, text: str) -> None:
        from voice_glimmers.core.errors import SpeechOutputError

        self.said.append(text)
        raise SpeechOutputError("The speaker 'pulse' has gone away")


def test_a_speaker_that_fails_is_reported_and_listening_goes_on(language):
    clock = AudioClock(datetime.fromisoformat("2026-11-27T15:00:00+00:00"))
    store = GlimmerStore.in_memory()
    dialogue = Dialogue(store, language, Settings(), question_timeout=20)
    events = io.StringIO()
    speaker = FailingSpeaker(clock)
    Loop(source=SilenceSource(12), transcriber=ScriptedTranscriber(
            [(2, "glimmer the smell of rain"), (8, "glimmer warm socks")], clock),
         dialogue=dialogue, speaker=speaker, clock=clock, gate=Gate(dialogue.wake),
         events=EventLog(events), display=Display(io.StringIO())).run()
    assert [g.text for g in store.all()] == ["the smell of rain", "warm socks"]
    log = [json.loads(line) for line in events.getvalue().splitlines()]
    assert [e["type"] for e in log].count("problem") == 2


def test_danger_said_to_it_while_it_speaks_stops_it_and_is_answered(language):
    store = long_day(4)
    _, speaker, _, _ = run_script(language, [
        (2, "glimmer lets reflect"),
        (8, "glimmer i want to die"),
    ], store=store)
    assert speaker.stops == 1
    assert "reach out to someone now" in speaker.said[-1]


def test_the_readme_lists_every_event_there_is():
    import re
    from pathlib import Path

    from voice_glimmers.core.events import EVENTS

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    row = next(line for line in readme.splitlines() if line.startswith("| `--events FILE`"))
    listed = re.findall(r"`([a-z_]+)`", row.split("(", 1)[1].split(";", 1)[0])
    assert listed == [event.kind for event in EVENTS]


def test_words_of_danger_no_list_holds_are_met_with_care_by_voice(language):
    """Spoken, as chat: the sentence model hears danger in words no phrase list holds."""
    from test_conversations import likeness_for

    store, speaker, log, _ = run_script(language, [
        (2, "glimmer i took some pills"),
        (40, "glimmer the smell of rain"),
    ], likeness=likeness_for(language))
    replies = [e for e in log if e["type"] == "reply"]
    assert replies[0]["intent"] == "safety" and "reach out to someone now" in replies[0]["text"]
    assert [g.text for g in store.all()] == ["the smell of rain"]
