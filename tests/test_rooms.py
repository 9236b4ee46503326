"""Rooms: one conversation per satellite, with real dialogues over one store."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time, timedelta, timezone

import pytest

from voice_glimmers.app.settings import Settings, intents_dir
from voice_glimmers.dialogue.conversation import Dialogue
from voice_glimmers.language.bundle import Language
from voice_glimmers.serve.rooms import MAX_ROOM_NAME, UNNAMED, Rooms, room_of
from voice_glimmers.store.glimmer_store import GlimmerStore

NOON = datetime(2026, 11, 24, 12, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def language():
    return Language.from_dir(intents_dir() / "en")


class Ticks:
    """A monotonic clock moved by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _rooms(language, store, **kwargs):
    settings = replace(Settings(), wake_word=None)
    made: list[str] = []

    def make(room: str) -> Dialogue:
        made.append(room)
        return Dialogue(store, language, settings, room=room, question_timeout=20)

    rooms = Rooms(make, **kwargs)
    return rooms, made


@pytest.mark.parametrize("context, room", [
    ({"satellite_id": "sat", "device_id": "dev", "conversation_id": "c"}, "satellite:sat"),
    ({"device_id": "dev", "conversation_id": "c"}, "device:dev"),
    ({"conversation_id": "c"}, "conversation:c"),
    ({"satellite_id": "  ", "conversation_id": "c"}, "conversation:c"),
    ({"satellite_id": ["not", "text"], "device_id": "dev"}, "device:dev"),
    ({}, UNNAMED),
    (None, UNNAMED),
    ("a string", UNNAMED),
])
def test_the_room_is_the_satellite_else_the_device_else_the_conversation(context, room):
    assert room_of(context) == room


def test_a_very_long_id_is_cut():
    assert len(room_of({"satellite_id": "x" * 10_000})) == len("satellite:") + MAX_ROOM_NAME


def test_a_question_expires_as_it_does_in_listen(language):
    store = GlimmerStore.in_memory()
    rooms, _ = _rooms(language, store)
    assert rooms.respond("kitchen", "glimmer", NOON).text.startswith("What was it?")
    late = NOON + timedelta(seconds=21)  # question_timeout is 20 s
    assert "Saved" not in rooms.respond("kitchen", "the kettle", late).text
    assert rooms.respond("kitchen", "glimmer", late).text.startswith("What was it?")
    assert rooms.respond("kitchen", "the kettle", late + timedelta(seconds=5)).text == \
        "Saved: the kettle."


def test_the_care_after_a_crisis_answer_stays_in_its_room(language):
    store = GlimmerStore.in_memory()
    rooms, _ = _rooms(language, store)
    assert "crisis line" in rooms.respond("bedroom", "i want to die", NOON).text
    soon = NOON + timedelta(seconds=30)
    assert "a person can help" in rooms.respond("bedroom", "whatever", soon).text
    assert "a person can help" not in rooms.respond("kitchen", "whatever", soon).text


def test_quiet_rooms_are_forgotten_and_only_so_many_kept(language):
    store = GlimmerStore.in_memory()
    ticks = Ticks()
    rooms, made = _rooms(language, store, kept=2, idle_seconds=100, monotonic=ticks)
    rooms.respond("a", "glimmer", NOON)  # a question left open in a
    rooms.respond("b", "help", NOON)
    rooms.respond("a", "help", NOON)  # a is used again: b is now the oldest
    rooms.respond("c", "help", NOON)
    assert len(rooms) == 2 and made == ["a", "b", "c"]
    rooms.respond("b", "help", NOON)  # b was dropped for c: made again
    assert made == ["a", "b", "c", "b"]
    ticks.now = 101  # nobody spoke for longer than idle_seconds
    rooms.respond("a", "help", NOON)
    assert made[-1] == "a" and len(rooms) == 1


def test_the_evening_offer_is_taken_as_made_once_a_night_per_room(language):
    store = GlimmerStore.in_memory()
    store.add("the first frost", at=NOON)
    rooms, _ = _rooms(language, store, reflection_time=time(20, 30))
    evening = NOON.replace(hour=20, minute=45)
    assert "first frost" in rooms.respond("lounge", "okay", evening).text.lower()
    assert rooms.respond("hall", "not tonight", evening).text == "Alright. Rest well."
    assert rooms.respond("hall", "yes", evening + timedelta(minutes=5)).text == "Okay."
    # Before the reflection time, "yes" answers nothing.
    assert rooms.respond("study", "yes", NOON).text == "Okay."


def test_stop_listening_in_a_room_points_to_the_satellite_and_pauses_nothing(language):
    rooms, _ = _rooms(language, GlimmerStore.in_memory())
    assert "mute the satellite" in rooms.respond("kitchen", "stop listening", NOON).text
    assert rooms.respond("kitchen", "glimmer a warm bath", NOON).text == "Saved: a warm bath."
