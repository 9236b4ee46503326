"""The Wyoming service, tested as Home Assistant talks to it.

A real `voice-glimmers serve` process, and the `wyoming` library's own AsyncTcpClient,
one connection per sentence with the context keys Home Assistant's conversation agent
sends (homeassistant/components/wyoming/conversation.py). The glimmers are read back
from the database file itself.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from wyoming.asr import Transcript
from wyoming.client import AsyncTcpClient
from wyoming.handle import Handled
from wyoming.info import Describe, Info

from voice_glimmers import __version__

CLI = [sys.executable, "-m", "voice_glimmers"]
EVENING = "2026-11-24T20:40:00+00:00"  # the default reflection time is 20:30
AFTERNOON = "2026-11-24T15:00:00+00:00"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Served:
    """A running `serve`; its stderr is collected line by line."""

    def __init__(self, db: Path, *args: str, now: str = AFTERNOON,
                 env: dict[str, str] | None = None, port: int | None = None,
                 host: str = "127.0.0.1") -> None:
        self.db = db
        self.port = port or _free_port()
        self.lines: list[str] = []
        cmd = [*CLI, "--db", str(db), "--now", now, "serve",
               "--uri", f"tcp://{host}:{self.port}", *args]
        self.proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True,
                                     env={**os.environ, **(env or {})})
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, words: str, timeout: float = 90.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.lines:
                if words in line:
                    return line
            if self.proc.poll() is not None and not self._reader.is_alive():
                break
            time.sleep(0.05)
        raise AssertionError(f"no line with {words!r}; stderr: {self.lines}")

    def ready(self) -> Served:
        self.wait_for("serving glimmers at")
        return self

    @property
    def stderr(self) -> str:
        return "\n".join(self.lines)

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 15.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signum)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise
        self._reader.join(5)
        return code

    def glimmers(self) -> list[dict]:
        """The live glimmers in the file, as the file holds them right now."""
        data = json.loads(self.db.read_text(encoding="utf-8"))
        table = data.get("glimmers", {})
        return [doc for doc in table.values() if not doc.get("deleted_at")]


@pytest.fixture
def served(tmp_path):
    running: list[Served] = []

    def start(*args: str, **kwargs) -> Served:
        server = Served(tmp_path / f"glimmers{len(running)}.json", *args, **kwargs)
        running.append(server)
        return server.ready()

    yield start
    for server in running:
        if server.proc.poll() is None:
            server.proc.kill()
            server.proc.wait(10)


async def _say(port: int, text: str, room: str | None = "kitchen", *, language: str = "en",
               conversation: str = "01JD0000000000000000000000",
               timeout: float = 30) -> Handled:
    """One sentence, as Home Assistant's agent sends it: a new connection, then Handled."""
    context: dict[str, str] = {"conversation_id": conversation}
    if room is not None:
        context["satellite_id"] = f"assist_satellite.{room}"
        context["device_id"] = f"device-{room}"
    async with AsyncTcpClient("127.0.0.1", port, read_timeout=timeout) as client:
        await client.write_event(Transcript(text, context=context, language=language).event())
        event = await client.read_event()
    assert event is not None and Handled.is_type(event.type), event
    return Handled.from_event(event)


def say(port: int, text: str, room: str | None = "kitchen", **kwargs) -> str:
    return str(asyncio.run(_say(port, text, room, **kwargs)).text)


def test_describe_names_voice_glimmers_and_its_languages(served):
    server = served()

    async def describe() -> Info:
        async with AsyncTcpClient("127.0.0.1", server.port, read_timeout=10) as client:
            await client.write_event(Describe().event())
            event = await client.read_event()
        assert event is not None and Info.is_type(event.type)
        return Info.from_event(event)

    info = asyncio.run(describe())
    (program,) = info.handle
    assert program.name == "voice-glimmers" and program.version == __version__
    assert program.installed and [m.languages for m in program.models] == [["en"]]
    assert not info.asr and not info.tts  # a conversation agent only


def test_a_glimmer_is_on_disk_before_handled(served):
    server = served()
    reply = say(server.port, "Glimmer: the smell of rain on the way home.")
    assert reply == "Saved: the smell of rain on the way home."
    assert [g["text"] for g in server.glimmers()] == ["the smell of rain on the way home"]
    assert server.glimmers()[0]["source"] == "voice"


def test_punctuation_capitals_and_digits_from_other_engines(served):
    server = served("--now", "2026-11-24T15:00:00+00:00")
    assert say(server.port, "Glimmer: 2 ducks on the pond, side by side!") == \
        "Saved: 2 ducks on the pond, side by side."
    assert say(server.port, "What were my glimmers today?") == \
        "You noticed one glimmer today. 2 ducks on the pond, side by side."
    assert "Nothing saved on Sunday" in say(server.port, "What were my glimmers 2 days ago?")
    assert "Nothing saved on Friday" in say(server.port, "What were my glimmers on November 20th?")
    assert "November third" in say(server.port, "What were my glimmers on November 3?")
    assert say(server.port, "HOW MANY GLIMMERS THIS WEEK?").startswith("You noticed one")


def test_a_question_is_answered_in_its_own_room_only(served):
    server = served()
    assert say(server.port, "Glimmer.", "kitchen") .startswith("What was it?")
    # The bedroom's words do not answer the kitchen's question...
    assert "Saved" not in say(server.port, "the tea was warm", "bedroom")
    assert server.glimmers() == []
    # ...the kitchen's do.
    assert say(server.port, "The tea was warm.", "kitchen") == "Saved: The tea was warm."


def test_delete_that_in_the_kitchen_never_deletes_the_bedrooms(served):
    server = served()
    say(server.port, "glimmer the kettle singing", "kitchen")
    say(server.port, "glimmer clean sheets on the bed", "bedroom")
    assert say(server.port, "delete that", "kitchen") == \
        "Delete 'the kettle singing'? Say yes, or no."
    assert say(server.port, "yes", "kitchen").startswith("Deleted.")
    assert [g["text"] for g in server.glimmers()] == ["clean sheets on the bed"]
    # A room that saved nothing has nothing to delete, whatever the others saved.
    assert "Saved" not in say(server.port, "glimmer what a day", "hall")  # hard: not kept
    assert "nothing" in say(server.port, "delete that", "study").lower()
    assert [g["text"] for g in server.glimmers()] == ["clean sheets on the bed"]
    # Undo brings back only what this room deleted.
    say(server.port, "delete that", "bedroom")
    say(server.port, "yes", "bedroom")
    assert say(server.port, "undo", "kitchen") == "Brought back: the kettle singing."
    assert [g["text"] for g in server.glimmers()] == ["the kettle singing"]


def test_words_of_danger_get_the_crisis_answer_and_nothing_is_kept(served):
    server = served()
    for words in ("I want to die.", "Glimmer: I took some pills.", "glimmer kms"):
        reply = say(server.port, words, "bedroom")
        assert "crisis line" in reply, (words, reply)
    assert server.glimmers() == []
    # The care after it stays in that room; the kitchen is asked as usual.
    assert say(server.port, "Glimmer.", "kitchen") .startswith("What was it?")


def test_the_evening_offer_spoken_by_home_assistant_is_answered(served):
    server = served(now=EVENING)
    say(server.port, "glimmer the first star tonight", "lounge")  # a room already spoken in
    reply = say(server.port, "yes", "bedroom")  # the answer to the automation's offer
    assert "the first star tonight" in reply.lower() or "today" in reply.lower(), reply
    assert reply != "Okay."
    assert say(server.port, "not tonight", "kitchen") == "Alright. Rest well."
    # Once a room answered, a later "yes" there is just a yes.
    assert say(server.port, "yes", "kitchen") == "Okay."


def test_read_backs_can_be_refused_on_satellites(served):
    server = served(env={"VOICE_GLIMMERS_SATELLITE_READ_BACKS": "false"})
    assert say(server.port, "glimmer warm socks") == "Saved: warm socks."
    for asked in ("what were my glimmers today", "I need a glimmer", "let's reflect",
                  "find glimmers about socks"):
        reply = say(server.port, asked)
        assert "warm socks" not in reply and "don't read them aloud" in reply, (asked, reply)


def test_the_command_line_and_the_service_share_one_store(served):
    server = served()
    say(server.port, "glimmer the heater clicking on")
    added = subprocess.run([*CLI, "--db", str(server.db), "--now", AFTERNOON, "add",
                            "a letter from an old friend"], capture_output=True, text=True,
                           timeout=120)
    assert added.returncode == 0, added.stderr
    reply = say(server.port, "what were my glimmers today", "study")
    assert "the heater clicking on" in reply.lower() and "a letter from an old friend" in reply


HUNDRED = [f"{what} {where}" for what in (
    "a robin", "the cat", "warm tea", "soft music", "the sunset", "a kind neighbour",
    "fresh bread", "my dog", "the quiet", "a good book") for where in (
    "in the garden", "by the window", "at the station", "in the kitchen", "on the walk home",
    "at the park", "in the morning", "on the bus", "at my desk", "before bed")]


def test_many_satellites_at_once_all_kept_none_twice(served):
    server = served()

    async def everyone() -> list[Handled]:
        # Answered one at a time: on a busy machine the last waits for all the others.
        return await asyncio.gather(*(_say(server.port, f"glimmer {text}", f"room{n}",
                                           timeout=300) for n, text in enumerate(HUNDRED)))

    replies = asyncio.run(everyone())
    assert [r.text for r in replies] == [f"Saved: {text}." for text in HUNDRED]
    texts = sorted(g["text"] for g in server.glimmers())
    assert texts == sorted(HUNDRED)
    assert len({g["created_at"] + g["text"] for g in server.glimmers()}) == 100


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def _raw(port: int, data: bytes, *, close: bool = True, wait: float = 15.0) -> bytes:
    """Send raw bytes; what comes back before the service closes the connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as conn:
        try:
            conn.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            return b""
        if close:
            try:
                conn.shutdown(socket.SHUT_WR)
            except OSError:  # already closed by the service
                return b""
        got = b""
        try:
            while chunk := conn.recv(65536):
                got += chunk
        except ConnectionResetError:
            pass
        return got


def test_broken_clients_are_closed_in_one_line_and_others_still_answered(served):
    server = served()
    pid = server.proc.pid
    before = _rss_kb(pid)
    silent = socket.create_connection(("127.0.0.1", server.port))
    opened = time.monotonic()
    # Not JSON at all; JSON that is no event; a header announcing a huge event.
    assert _raw(server.port, b"this is not json\n") == b""
    assert _raw(server.port, b'["a", "list"]\n') == b""
    huge = json.dumps({"type": "transcript", "data_length": 10**12}).encode() + b"\n"
    assert _raw(server.port, huge, close=False) == b""  # closed without waiting for it
    payload = json.dumps({"type": "transcript", "payload_length": 50_000_000}).encode()
    assert _raw(server.port, payload + b"\n" + b"x" * 100_000, close=False) == b""
    # A line of 5 MB with no end: the reader's limit refuses it.
    assert _raw(server.port, b"{" + b"x" * 5_000_000, close=False) == b""
    # A header, then half of what it announced, then gone.
    half = json.dumps({"type": "transcript", "data_length": 100}).encode() + b"\n" + b'{"te'
    assert _raw(server.port, half) == b""
    # A sentence, and gone before the reply: what was saved is kept.
    event = Transcript("glimmer the bus came on time", context={"satellite_id": "x"}).event()
    line = json.dumps({"type": event.type, "data": event.data}).encode() + b"\n"
    with socket.create_connection(("127.0.0.1", server.port)) as conn:
        conn.sendall(line)
    # Everyone else is still answered.
    assert say(server.port, "glimmer a warm scarf") == "Saved: a warm scarf."
    deadline = time.monotonic() + 5
    while "the bus came on time" not in [g["text"] for g in server.glimmers()]:
        assert time.monotonic() < deadline, server.glimmers()
        time.sleep(0.1)
    # The client that says nothing is let go.
    silent.settimeout(20)
    assert silent.recv(10) == b""
    assert 8 < time.monotonic() - opened < 16
    silent.close()
    assert _rss_kb(pid) - before < 30_000  # kB: nothing announced was ever held
    for words in ("is not a Wyoming event", "larger than", "in the middle of an event",
                  "said nothing for"):
        assert words in server.stderr, (words, server.stderr)
    assert "Traceback" not in server.stderr
    problems = [line for line in server.lines if line.startswith("voice-glimmers serve:")]
    assert all(len(line) < 200 for line in problems)


def test_allow_list_is_checked_before_any_event_is_read(served):
    server = served("--allow", "192.0.2.77")
    assert _raw(server.port, Describe().event().type.encode()) == b""
    server.wait_for("not on the --allow list")
    allowed = served("--allow", "127.0.0.0/8")
    assert say(allowed.port, "glimmer rain on the window") == "Saved: rain on the window."


def test_listening_beyond_this_computer_is_said_plainly(served):
    server = served(host="0.0.0.0")
    assert "anyone who can reach it can add glimmers" in server.wait_for("open to the network")
    assert say(server.port, "glimmer a quiet street") == "Saved: a quiet street."


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_stop_finishes_the_sentence_in_hand(served, signum):
    server = served()

    async def say_then_stop() -> Handled:
        async with AsyncTcpClient("127.0.0.1", server.port, read_timeout=30) as client:
            await client.write_event(Transcript("glimmer the last light on the hills",
                                                context={"satellite_id": "s"}).event())
            await asyncio.sleep(0.02)
            server.proc.send_signal(signum)
            event = await client.read_event()
        assert event is not None
        return Handled.from_event(event)

    handled = asyncio.run(say_then_stop())
    assert server.stop(signum) == 0
    assert handled.text == "Saved: the last light on the hills."
    assert [g["text"] for g in server.glimmers()] == ["the last light on the hills"]
    assert "stopping" in server.stderr and "Traceback" not in server.stderr


@pytest.mark.parametrize("uri, words", [
    ("udp://127.0.0.1:10700", "should look like tcp://"),
    ("tcp://127.0.0.1", "should look like tcp://"),
    ("tcp://127.0.0.1:99999", "should look like tcp://"),
])
def test_a_bad_uri_is_one_line(tmp_path, uri, words):
    done = subprocess.run([*CLI, "--db", str(tmp_path / "g.json"), "serve", "--uri", uri],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and words in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_a_port_in_use_is_one_line(served, tmp_path):
    server = served()
    done = subprocess.run([*CLI, "--db", str(tmp_path / "other.json"), "serve", "--uri",
                           f"tcp://127.0.0.1:{server.port}"], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 1, done.stderr
    assert "Cannot listen on 127.0.0.1" in done.stderr and "Traceback" not in done.stderr
    assert say(server.port, "glimmer a robin on the fence") == "Saved: a robin on the fence."


def test_a_bad_allow_address_is_one_line(tmp_path):
    done = subprocess.run([*CLI, "--db", str(tmp_path / "g.json"), "serve", "--allow", "kitchen"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "is not an address or a network" in done.stderr


def _doctor_serve_line(uri: str, tmp_path: Path) -> str:
    done = subprocess.run([*CLI, "--db", str(tmp_path / "d.json"), "doctor", "--uri", uri],
                          capture_output=True, text=True, timeout=120)
    (line,) = [line for line in done.stdout.splitlines() if line.strip().startswith("serve:")]
    return line


def test_doctor_checks_the_port(served, tmp_path):
    port = _free_port()
    assert "nothing listens on 127.0.0.1:" in _doctor_serve_line(f"tcp://127.0.0.1:{port}",
                                                                  tmp_path)
    server = served()
    line = _doctor_serve_line(f"tcp://127.0.0.1:{server.port}", tmp_path)
    assert "ok" in line and f"voice-glimmers {__version__} answers" in line
    other = socket.socket()
    other.bind(("127.0.0.1", 0))
    other.listen()
    threading.Thread(target=lambda: other.accept()[0].sendall(b"HTTP/1.0 400 Bad\r\n\r\n"),
                     daemon=True).start()
    line = _doctor_serve_line(f"tcp://127.0.0.1:{other.getsockname()[1]}", tmp_path)
    assert "needs care" in line and "another program listens" in line

    def reset() -> None:  # accept, then drop the connection at once with a reset
        conn = other.accept()[0]
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()

    threading.Thread(target=reset, daemon=True).start()
    line = _doctor_serve_line(f"tcp://127.0.0.1:{other.getsockname()[1]}", tmp_path)
    other.close()
    assert "needs care" in line and "another program listens" in line


def test_zeroconf_advertises_the_service_on_the_local_network(served):
    """As far as this machine's network allows: a real mDNS browser on the same host finds
    the advertisement, and the address it gives answers Describe."""
    from zeroconf import ServiceBrowser, ServiceListener, Zeroconf

    server = served("--zeroconf", host="0.0.0.0")
    found: dict[str, tuple[list[str], int | None]] = {}

    class Listener(ServiceListener):
        def add_service(self, zc, type_, name):
            info = zc.get_service_info(type_, name, timeout=3000)
            if info is not None:
                found[name] = (info.parsed_addresses(), info.port)

        def update_service(self, zc, type_, name):
            pass

        def remove_service(self, zc, type_, name):
            pass

    zc = Zeroconf()
    try:
        ServiceBrowser(zc, "_wyoming._tcp.local.", Listener())
        deadline = time.monotonic() + 10
        while not any(port == server.port for _, port in found.values()):
            if time.monotonic() > deadline:
                pytest.skip(f"no mDNS on this machine's network (found {found})")
            time.sleep(0.1)
    finally:
        zc.close()
    name, (addresses, port) = next((n, v) for n, v in found.items() if v[1] == server.port)
    assert name.startswith("voice-glimmers-") and name.endswith("._wyoming._tcp.local.")

    async def describe(address: str) -> Info:
        async with AsyncTcpClient(address, server.port, read_timeout=10) as client:
            await client.write_event(Describe().event())
            event = await client.read_event()
        assert event is not None
        return Info.from_event(event)

    assert asyncio.run(describe(addresses[0])).handle[0].name == "voice-glimmers"
    assert server.stop() == 0


def test_zeroconf_on_a_private_address_is_refused_in_one_line(tmp_path):
    done = subprocess.run([*CLI, "--db", str(tmp_path / "g.json"), "serve", "--zeroconf"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "listens only on 127.0.0.1" in done.stderr


def test_the_systemd_unit_runs_serve_with_options_it_accepts():
    import shlex

    from voice_glimmers.app.cli import build_parser

    unit = (Path(__file__).resolve().parent.parent / "contrib" / "voice-glimmers-serve.service")
    commands = [line.split("=", 1)[1] for line in unit.read_text().splitlines()
                if line.lstrip("# ").startswith("ExecStart=")]
    assert len(commands) == 2  # the one used, and the example for another computer
    for command in commands:
        program, *args = shlex.split(command)
        assert program.endswith("/.venv/bin/voice-glimmers")
        parsed = build_parser().parse_args(args)
        assert parsed.func.__name__ == "cmd_serve"


def test_emoji_in_a_glimmer_are_kept_but_not_sent_to_be_spoken(served):
    server = served("--now", "2026-11-24T15:00:00+00:00")
    assert say(server.port, "Glimmer: a cat on my lap 😊") == "Saved: a cat on my lap."
    assert [g["text"] for g in server.glimmers()] == ["a cat on my lap 😊"]
    assert say(server.port, "What were my glimmers today?") == \
        "You noticed one glimmer today. A cat on my lap."


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: numpy has one thread anyway")
def test_the_sentence_model_runs_on_one_thread_unless_told_otherwise(served, monkeypatch):
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.delenv(name, raising=False)

    def threads(server: Served) -> int:
        assert say(server.port, "glimmer warm tea by the window") == \
            "Saved: warm tea by the window."  # the sentence model has run
        return len(os.listdir(f"/proc/{server.proc.pid}/task"))

    alone = threads(served())
    told = threads(served(env={"OPENBLAS_NUM_THREADS": "2", "OMP_NUM_THREADS": "2"}))
    assert alone < told  # numpy's own threads, beside the service's, only when asked
