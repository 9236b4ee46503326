"""The reflection over weeks, with a pinned clock: its pauses, the hour, a long day, zero
nights that do not repeat, counts in words, and "later" to the evening offer in `listen`,
`chat` and a Home Assistant room. (The pauses in sound: test_reflection_pauses.py.)"""

from __future__ import annotations

import io
import json
import os
import random
import subprocess
import sys
from dataclasses import replace
from datetime import datetime, time, timedelta, timezone
from pathlib import Path

import pytest
from fakes import AudioClock, ScriptedTranscriber, SilenceSource, TimedSpeaker

from voice_glimmers.app.settings import Settings, intents_dir, load_settings
from voice_glimmers.core.errors import GlimmersError
from voice_glimmers.dialogue import conversation
from voice_glimmers.dialogue.conversation import Dialogue
from voice_glimmers.dialogue.reflection import number_word
from voice_glimmers.language.bundle import Language
from voice_glimmers.listen.events import Display, EventLog
from voice_glimmers.listen.gate import Gate
from voice_glimmers.listen.loop import Loop
from voice_glimmers.serve.rooms import Rooms
from voice_glimmers.store.glimmer_store import GlimmerStore

EVENING = datetime(2026, 11, 27, 20, 30, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def language():
    return Language.from_dir(intents_dir() / "en")


def day_of(count, day=EVENING):
    store = GlimmerStore.in_memory()
    for i in range(count):
        store.add(f"the smell of rain number {number_word(i + 1)}",
                  at=day.replace(hour=8) + timedelta(minutes=20 * i))
    return store


def dialogue_for(language, store, **settings):
    return Dialogue(store, language, Settings(db_path=Path("g.json"), **settings),
                    question_timeout=20, rng=random.Random(3))


# --- pauses: where they go, and the setting ------------------------------------------


def test_an_invitation_to_stay_is_followed_by_the_pause_set(language):
    reply = dialogue_for(language, day_of(2), reflection_pause_seconds=5.5).reflect(EVENING)
    prompts = set(language.phrases.reflection["prompts"])
    after = [pause for part, pause in zip(reply.parts, reply.pauses, strict=True)
             if part in prompts]
    assert after == [5.5, 5.5]
    glimmers = [pause for part, pause in zip(reply.parts, reply.pauses, strict=True)
                if part.startswith("The smell of rain")]
    assert glimmers and all(0 < pause < 5.5 for pause in glimmers)  # a breath, not a wait
    assert reply.pauses[-1] == 0.0  # nothing is waited for after the last words


def test_a_day_with_none_leaves_the_pause_after_the_grounding_invitation(language):
    reply = dialogue_for(language, day_of(0)).reflect(EVENING)
    grounding = set(language.phrases.reflection["grounding"])
    (index,) = [i for i, part in enumerate(reply.parts) if part in grounding]
    assert reply.pauses[index] == Settings().reflection_pause_seconds == 4.0


def test_no_pause_at_all_when_the_setting_is_nought(language):
    reply = dialogue_for(language, day_of(3), reflection_pause_seconds=0).reflect(EVENING)
    assert not any(reply.pauses)


@pytest.mark.parametrize("value", [-1, 30.5, float("nan"), float("inf")])
def test_the_pause_setting_is_range_checked(value):
    with pytest.raises(GlimmersError, match="reflection_pause_seconds should be from 0 to 30"):
        Settings(reflection_pause_seconds=value)


def test_the_pause_setting_comes_from_the_file_and_the_environment(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text("reflection_pause_seconds = 6\n")
    assert load_settings({}, config).reflection_pause_seconds == 6.0
    env = {"VOICE_GLIMMERS_REFLECTION_PAUSE_SECONDS": "2.5"}
    assert load_settings(env, config).reflection_pause_seconds == 2.5
    with pytest.raises(GlimmersError, match="reflection_pause_seconds"):
        load_settings({"VOICE_GLIMMERS_REFLECTION_PAUSE_SECONDS": "a while"}, config)


# --- the hour -------------------------------------------------------------------------


@pytest.mark.parametrize("count", [0, 2, 9])
@pytest.mark.parametrize("offer", [True, False])
def test_rest_well_is_only_for_the_evening_and_always_the_last_words(language, count, offer):
    for hour in range(24):
        now = EVENING.replace(hour=hour)
        dialogue = dialogue_for(language, day_of(count, now.replace(hour=4)))
        replies = [dialogue.reflect(now, offer=offer)]
        while offer and dialogue.waiting:  # go on to the end, then "not now"
            replies.append(dialogue.respond("not now", now))
        for reply in replies:
            text = reply.text
            if "Rest well" in text or "rest well" in text:
                assert 18 <= hour or hour < 5, (hour, text)
                assert text.endswith("Rest well."), (hour, text)
                assert "Rest well" in reply.parts[-1]
            if 5 <= hour < 18:
                assert "tonight" not in text and "evening" not in text, (hour, text)


def test_seven_nights_with_none_do_not_end_the_same_way(language):
    endings, whole = [], []
    for night in range(7):
        now = EVENING + timedelta(days=night)
        reply = dialogue_for(language, GlimmerStore.in_memory()).reflect(now, offer=False)
        endings.append(" ".join(reply.parts[-2:]))
        whole.append(reply.text)
    assert all(a != b for a, b in zip(endings, endings[1:], strict=False)), endings
    assert len(set(endings)) >= 3, endings
    assert len(set(whole)) == 7
    assert not any("yet" in text for text in whole)  # nothing implies one was expected


# --- counts in words ------------------------------------------------------------------


@pytest.mark.parametrize("n, words", [
    (0, "no"), (7, "seven"), (20, "twenty"), (21, "twenty-one"), (22, "twenty-two"),
    (40, "forty"), (99, "ninety-nine"), (100, "one hundred"), (105, "one hundred and five"),
    (1405, "one thousand four hundred and five"), (22000, "twenty-two thousand"),
])
def test_numbers_are_words(n, words):
    assert number_word(n) == words


def test_a_long_read_back_says_how_many_more_in_words(language):
    dialogue = dialogue_for(language, day_of(27))
    listed = dialogue.respond("what were my glimmers today", EVENING)
    assert "You noticed twenty-seven glimmers today." in listed.text
    assert "There are twenty-two more." in listed.text
    counted = dialogue.respond("how many glimmers today", EVENING)
    assert "twenty-seven" in counted.text
    for reply in (listed, counted):
        assert not any(ch.isdigit() for ch in reply.text.replace("number", "")), reply.text


# --- the evening offer and a long day, in listen ---------------------------------------


def listen(language, script, *, seconds, store=None, start=EVENING - timedelta(seconds=10),
           reflection_time=time(20, 30)):
    clock = AudioClock(start)
    store = store or GlimmerStore.in_memory()
    dialogue = Dialogue(store, language, Settings(), question_timeout=20, rng=random.Random(1))
    speaker = TimedSpeaker(clock)
    events = io.StringIO()
    loop = Loop(source=SilenceSource(seconds), transcriber=ScriptedTranscriber(script, clock),
                dialogue=dialogue, speaker=speaker, clock=clock,
                gate=Gate(dialogue.wake, follow_up_seconds=6, question_seconds=20),
                events=EventLog(events), display=Display(io.StringIO()),
                reflection_time=reflection_time)
    loop.run()
    return speaker, [json.loads(line) for line in events.getvalue().splitlines()]


def test_later_in_listen_asks_once_more_a_little_later_and_not_a_third_time(
        language, monkeypatch):
    monkeypatch.setattr(conversation, "EVENING_AGAIN_MINUTES", 1)  # a minute, not half an hour
    speaker, _ = listen(language, [(20, "maybe later"), (95, "in a bit")], seconds=200)
    offers = [s for s in speaker.said if "quiet moment with today" in s]
    assert offers == [
        "It's evening. Would you like a quiet moment with today? Say yes, or 'not tonight'.",
        "Would you like that quiet moment with today now? Say yes, or 'not tonight'.",
    ]
    assert "Alright. I'll ask again in a little while." in speaker.said
    assert speaker.said[-1] == "Alright. Whenever you'd like it, say 'glimmer, let's reflect'."


def test_yes_to_the_second_offer_starts_the_reflection(language, monkeypatch):
    monkeypatch.setattr(conversation, "EVENING_AGAIN_MINUTES", 1)
    store = day_of(1)
    speaker, _ = listen(language, [(20, "later"), (95, "okay")], seconds=130, store=store)
    assert "The smell of rain number one." in speaker.said


def test_a_long_day_in_listen_pauses_after_each_invitation_and_asks_to_go_on(language):
    store = day_of(6)
    speaker, log = listen(language, [(2, "glimmer lets reflect"), (55, "go on")],
                          seconds=120, store=store, reflection_time=None)
    assert speaker.pauses[:8] == [1.0, 4.0] * 4  # the glimmer, then its invitation
    assert "There are two more. Shall I go on? Say yes, or 'not now'." in speaker.said
    assert "The smell of rain number six." in speaker.said
    replies = [e for e in log if e["type"] == "reply"]
    assert replies[-1]["intent"] == "reflect"


# --- a long day in chat, and in a Home Assistant room ---------------------------------


def test_chat_goes_on_with_a_long_day_when_asked(tmp_path):
    db = tmp_path / "glimmers.json"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    base = [sys.executable, "-m", "voice_glimmers", "--db", str(db)]
    for i in range(6):
        subprocess.run([*base, "--now", "2026-11-27T20:30:00+00:00", "add",
                        f"a small moment number {number_word(i + 1)}",
                        "--at", f"2026-11-27T1{i}:00"], check=True, capture_output=True,
                       timeout=120, env=env)
    done = subprocess.run([*base, "--now", "2026-11-27T20:30:00+00:00", "chat"],
                          input="lets reflect\ngo on\nnot now\n", capture_output=True,
                          text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "There are two more. Shall I go on?" in out
    assert "A small moment number six." in out
    assert out.index("A small moment number four.") < out.index("Shall I go on?") < out.index(
        "A small moment number five.")
    assert out.strip().endswith("Rest well.")  # "not now" at the end, in the evening


def test_each_room_keeps_its_own_place_in_a_long_reflection(language):
    store = day_of(6)
    settings = replace(Settings(), wake_word=None)
    rooms = Rooms(lambda room: Dialogue(store, language, settings, room=room,
                                        question_timeout=20), reflection_time=time(20, 30))
    now = EVENING + timedelta(minutes=1)
    first = rooms.respond("satellite:bedroom", "lets reflect", now)
    assert "There are two more. Shall I go on?" in first.text
    kitchen = rooms.respond("satellite:kitchen", "yes", now + timedelta(seconds=2))
    assert "number five" not in kitchen.text  # the kitchen was asked nothing of the kind
    bedroom = rooms.respond("satellite:bedroom", "keep going", now + timedelta(seconds=4))
    assert "The smell of rain number five." in bedroom.parts
    assert "The smell of rain number six." in bedroom.parts


def test_later_in_a_room_promises_nothing_it_cannot_do(language):
    settings = replace(Settings(), wake_word=None)
    rooms = Rooms(lambda room: Dialogue(GlimmerStore.in_memory(), language, settings, room=room,
                                        question_timeout=20), reflection_time=time(20, 30))
    reply = rooms.respond("satellite:bedroom", "maybe later", EVENING + timedelta(minutes=1))
    assert reply.text == "Alright. Whenever you'd like it, just say 'let's reflect'."
