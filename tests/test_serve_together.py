"""Satellites speaking at once: the sentences waiting for the worker are understood and
screened together, then each is answered alone, in its turn, exactly as it would be alone.

The service runs in this process (so the sentence model's passes can be counted: the real
model, each pass recorded) on a real port, and is spoken to with the `wyoming` library's
own AsyncTcpClient, a new connection per sentence, as Home Assistant's agent does.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

import pytest
from wyoming.asr import Transcript
from wyoming.client import AsyncTcpClient
from wyoming.handle import Handled

from voice_glimmers.app.settings import Settings
from voice_glimmers.dialogue.conversation import Dialogue
from voice_glimmers.language.bundle import Language
from voice_glimmers.serve.rooms import Rooms
from voice_glimmers.serve.service import Service, info, serve
from voice_glimmers.store.glimmer_store import GlimmerStore
from voice_glimmers.understand.screen import Screen
from voice_glimmers.understand.wake import WakeWord

ROOT = Path(__file__).resolve().parent.parent
AFTERNOON = datetime(2026, 11, 24, 15, 0, tzinfo=timezone.utc)


class Passes:
    """The real sentence model's likeness, each pass through it recorded."""

    def __init__(self, real) -> None:
        self.real = real
        self.runs: list[list[str]] = []

    def scores(self, text: str) -> dict[str, float]:
        return self.scores_of([text])[0]

    def scores_of(self, texts: list[str]) -> list[dict[str, float]]:
        self.runs.append(list(texts))
        return self.real.scores_of(texts)


@pytest.fixture(scope="module")
def language():
    return Language.from_dir(ROOT / "intents" / "en")


@pytest.fixture(scope="module")
def model(language, tmp_path_factory):
    from voice_glimmers.encoder.likeness import Likeness

    return Likeness(language.signs.examples, cache_dir=tmp_path_factory.mktemp("screen"),
                    shipped=language.signs.trained)


@dataclass
class Clock:
    moment: datetime

    def __call__(self) -> datetime:
        return self.moment


class Running:
    """A Service on a real port, in a thread of its own, with a gate before its worker."""

    def __init__(self, tmp_path: Path, language, model, moment: datetime = AFTERNOON) -> None:
        self.db = tmp_path / "glimmers.json"
        self.store = GlimmerStore.open(self.db)
        self.passes = Passes(model)
        settings = replace(Settings(), wake_word=None, db_path=self.db)
        screen = Screen(language.signs, language.lexicon, self.passes,
                        WakeWord.of(None, language).words)
        self.clock = Clock(moment)

        def make(room: str) -> Dialogue:
            return Dialogue(self.store, language, settings, screen=screen, room=room,
                            question_timeout=20)

        self.service = Service(Rooms(make, reflection_time=None), self.clock,
                               info("test", ["en"]), ["en"])
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self._up = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)
        self._thread.start()
        assert self._up.wait(30)

    async def _main(self) -> None:
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        await serve(self.service, "127.0.0.1", self.port, ready=self._up.set, stop=self._stop)

    def close(self) -> None:
        assert self._loop is not None and self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)
        self.store.close()

    def hold(self) -> threading.Event:
        """Keep the worker busy until the event is set: what is said meanwhile waits."""
        gate = threading.Event()
        self.service.worker.submit(gate.wait, 60)
        return gate

    def glimmers(self) -> list[str]:
        table = json.loads(self.db.read_text(encoding="utf-8")).get("glimmers", {})
        return [doc["text"] for doc in table.values() if not doc.get("deleted_at")]


@pytest.fixture
def running(tmp_path, language, model):
    opened: list[Running] = []

    def start(**kwargs) -> Running:
        opened.append(Running(tmp_path, language, model, **kwargs))
        return opened[-1]

    yield start
    for one in opened:
        one.close()


async def _say(port: int, text: str, room: str) -> str:
    async with AsyncTcpClient("127.0.0.1", port, read_timeout=60) as client:
        await client.write_event(Transcript(text, language="en", context={
            "conversation_id": f"c-{room}", "satellite_id": f"assist_satellite.{room}"}).event())
        event = await client.read_event()
    assert event is not None and Handled.is_type(event.type), event
    return str(Handled.from_event(event).text)


def at_once(server: Running, said: list[tuple[str, str]]) -> list[str]:
    """Each (room, words) handed to the worker in this order while it is held; then it
    goes on, and every reply comes back."""

    async def everyone() -> list[str]:
        gate = server.hold()
        tasks = []
        for room, text in said:
            tasks.append(asyncio.create_task(_say(server.port, text, room)))
            while len(server.service.waiting) < len(tasks):  # queued, in this order
                await asyncio.sleep(0.01)
        gate.set()
        return list(await asyncio.gather(*tasks))

    return asyncio.run(everyone())


def test_glimmers_waiting_together_are_screened_in_one_pass(running):
    server = running()
    moments = ["a robin in the garden", "warm tea by the window", "the first snow at the park",
               "my sister's laugh on the stairs", "fresh bread in the kitchen"]
    replies = at_once(server, [(f"room{n}", f"Glimmer: {text}.") for n, text in
                               enumerate(moments)])
    assert replies == [f"Saved: {text}." for text in moments]
    assert sorted(server.glimmers()) == sorted(moments)
    assert len(server.passes.runs) == 1  # alone, each would have been a pass of its own
    assert len(server.passes.runs[0]) >= len(moments)


def test_danger_and_hard_words_waiting_among_glimmers_are_answered_as_alone(running):
    server = running()
    replies = at_once(server, [
        ("kitchen", "glimmer the kettle singing"),
        ("bedroom", "glimmer I took some pills"),
        ("hall", "glimmer I'm feeling so anxious and alone"),
        ("study", "glimmer everything is awful but the tea was warm"),
        ("lounge", "glimmer clean sheets on the bed"),
    ])
    assert replies[0] == "Saved: the kettle singing."
    assert "crisis line" in replies[1]
    assert "Saved" not in replies[2] and "Saved" not in replies[3]
    assert "the tea was warm" in replies[3]  # asked about, naming the good part
    assert replies[4] == "Saved: clean sheets on the bed."
    assert sorted(server.glimmers()) == ["clean sheets on the bed", "the kettle singing"]


def test_a_room_waiting_twice_is_answered_in_order(running):
    server = running()
    replies = at_once(server, [
        ("kitchen", "Glimmer."),  # asks what it was...
        ("bedroom", "glimmer the lamp's warm light"),
        ("kitchen", "The smell of rain."),  # ...and this, waiting behind, answers it
        ("bedroom", "delete that"),
        ("bedroom", "yes"),
    ])
    assert replies[0].startswith("What was it?")
    assert replies[1] == "Saved: the lamp's warm light."
    assert replies[2] == "Saved: The smell of rain."
    assert replies[3] == "Delete 'the lamp's warm light'? Say yes, or no."
    assert replies[4].startswith("Deleted.")
    assert server.glimmers() == ["The smell of rain."]  # as an answer is kept, alone too


def test_understood_before_the_day_turned_is_understood_again(running):
    # 03:59 is still Monday's glimmer day (the day starts at 04:00); 04:01 is Tuesday's.
    server = running(moment=datetime(2026, 11, 24, 3, 59, tzinfo=timezone.utc))
    server.store.add("the moon over the roofs", at=datetime(2026, 11, 23, 22, 0,
                                                               tzinfo=timezone.utc))
    server.store.add("birdsong at dawn", at=datetime(2026, 11, 24, 4, 30, tzinfo=timezone.utc))

    async def across_midnight() -> str:
        gate = server.hold()
        task = asyncio.create_task(_say(server.port, "what were my glimmers today", "kitchen"))
        while not server.service.waiting:
            await asyncio.sleep(0.01)
        asked = server.service.waiting[0]
        rooms = server.service.rooms
        asked.understood = rooms.prepare([(asked.room, asked.text)], server.clock())[0]
        server.service.waiting.clear()
        server.clock.moment = datetime(2026, 11, 24, 4, 1, tzinfo=timezone.utc)
        gate.set()
        return await task

    reply = asyncio.run(across_midnight())
    assert "birdsong at dawn" in reply.lower() and "moon" not in reply.lower()
