"""The service: Wyoming events in, Home Assistant's conversation agent answered.

Built on the `wyoming` library's own server and event reader. Around them, what a
service open to a network needs: who may connect (an allow-list, checked before any
event is read), how much one event may be and how long a client may say nothing, how
many clients at once, and a stop that finishes the sentence in hand. Sentences are
answered one at a time in one worker thread, so rooms never race on the store; a
glimmer is on disk before its `Handled` is sent. When several are waiting (satellites
speaking at once), the worker understands them and screens their words together first,
in one pass of the sentence model, then answers each in its turn.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from wyoming.asr import Transcript
from wyoming.event import Event, async_read_event
from wyoming.handle import Handled, NotHandled
from wyoming.info import Attribution, Describe, HandleModel, HandleProgram, Info
from wyoming.server import AsyncEventHandler, AsyncTcpServer

from voice_glimmers.core.errors import GlimmersError
from voice_glimmers.core.words import speakable
from voice_glimmers.serve.rooms import Rooms, Understood, room_of

_LOGGER = logging.getLogger(__name__)

MAX_EVENT_BYTES = 16 * 1024  # a sentence and its context need a few hundred bytes
MAX_CLIENTS = 128
IDLE_SECONDS = 10.0  # a client that says nothing this long is let go
STOP_SECONDS = 10.0  # on stop, how long the sentence in hand may take to finish
AHEAD = 16  # sentences understood and screened together at most (the encoder's batch)
NetworkList = Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network]


class _TooLarge(ValueError):
    pass


@dataclass(eq=False)
class Asked:
    """A sentence waiting for the worker, and what `Rooms.prepare` found ahead of it."""

    room: str
    text: str
    understood: Understood | None = None


class _Bounded:
    """A stream reader that refuses to wait for more than an event may hold (a header
    announcing a huge payload is refused before any of it is read)."""

    def __init__(self, reader: asyncio.StreamReader) -> None:
        self.reader = reader
        self.started = False
        self.too_large = False

    async def readline(self) -> bytes:
        try:
            line = await self.reader.readline()  # bounded by the stream's own limit
        except ValueError:  # a line longer than that limit
            self.too_large = True
            raise
        self.started = bool(line)
        return line

    async def readexactly(self, n: int) -> bytes:
        if not isinstance(n, int) or n > MAX_EVENT_BYTES:
            self.too_large = True
            raise _TooLarge(n)
        return await self.reader.readexactly(n)


BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def one_numpy_thread() -> bool:
    """numpy's matrix library on one thread in this process, unless the person chose
    otherwise (these variables); False if numpy was loaded already (too late to ask).

    Sentences are answered one at a time, and the sentence model's matrices are small:
    a second thread saves little even on an idle computer, and when other programs want
    the cores (a home server runs many) the library's threads wait for each other,
    spinning: measured, the screen's sentence model took 168 ms of CPU a sentence with
    two threads on a busy 2-core machine, 15 ms with one. Only `serve` asks it."""
    import os
    import sys

    if "numpy" in sys.modules:
        return False
    for name in BLAS_THREADS:
        os.environ.setdefault(name, "1")
    return True


def parse_allow(addresses: Sequence[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """--allow ADDR (an address or a network such as 192.168.1.0/24) as networks."""
    found = []
    for text in addresses:
        try:
            found.append(ipaddress.ip_network(text.strip(), strict=False))
        except ValueError:
            raise ValueError(f"--allow {text!r} is not an address or a network "
                             "(like 192.168.1.20 or 192.168.1.0/24)") from None
    return found


def is_allowed(peer: Any, allow: NetworkList) -> bool:
    if not allow:
        return True
    try:
        address = ipaddress.ip_address(str(peer[0]).split("%")[0])
    except (TypeError, IndexError, ValueError):
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return any(address.version == net.version and address in net for net in allow)


def advertised_address(host: str) -> str | None:
    """The IPv4 address to advertise: the one listened on, or for 0.0.0.0 the address
    this computer reaches the local network from (no packet is sent to find it)."""
    import socket

    if host not in ("0.0.0.0", "", "::"):
        return host if _is_ipv4(host) else None
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("224.0.0.251", 5353))  # mDNS: UDP connect only picks a route
        return str(probe.getsockname()[0])
    except OSError:
        return None
    finally:
        probe.close()


def _is_ipv4(text: str) -> bool:
    try:
        return ipaddress.ip_address(text).version == 4
    except ValueError:
        return False


def info(version: str, languages: list[str]) -> Info:
    """What Home Assistant learns from Describe: a handle service, and its languages."""
    attribution = Attribution(name="voice-glimmers", url="")
    model = HandleModel(name="glimmers", attribution=attribution, installed=True,
                        description="Saves glimmers and reads them back, one room at a time",
                        version=version, languages=languages)
    program = HandleProgram(name="voice-glimmers", attribution=attribution, installed=True,
                            description="An offline companion for noticing glimmers",
                            version=version, models=[model])
    return Info(handle=[program])


@dataclass
class Service:
    """What every connection shares: the rooms, the one worker, the limits."""

    rooms: Rooms
    clock: Callable[[], datetime]
    describe: Info
    languages: list[str]
    allow: NetworkList = ()
    idle_seconds: float = IDLE_SECONDS
    max_clients: int = MAX_CLIENTS
    clients: int = 0
    busy: int = 0
    stopping: bool = False
    ahead: int = AHEAD
    worker: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(1, thread_name_prefix="glimmers"))
    waiting: list[Asked] = field(default_factory=list)  # handed to the worker, not yet prepared
    _waiting_lock: threading.Lock = field(default_factory=threading.Lock)

    def ask(self, room: str, text: str) -> Asked:
        """A sentence about to be handed to the worker (`answer`), in the order they go."""
        asked = Asked(room, text)
        with self._waiting_lock:
            self.waiting.append(asked)
        return asked

    def answer(self, asked: Asked) -> tuple[str, str | None, str | None]:
        """One sentence, in the worker thread: (reply, its intent, a problem for the log).
        The worker takes them in the order they were asked; the first not yet prepared
        prepares itself and those waiting behind it."""
        if asked.understood is None:
            self._prepare(asked, self.clock())
        reply = self.rooms.respond(asked.room, asked.text, self.clock(), asked.understood)
        return reply.text, reply.intent, reply.problem

    def _prepare(self, asked: Asked, now: datetime) -> None:
        with self._waiting_lock:
            if asked in self.waiting:  # it and the ones behind it, up to `ahead`
                start = self.waiting.index(asked)
                batch = self.waiting[start:start + self.ahead]
                del self.waiting[:start + len(batch)]  # those before it are gone (cancelled)
            else:
                batch = [asked]
        try:
            found = self.rooms.prepare([(a.room, a.text) for a in batch], now)
        except Exception:  # noqa: BLE001 - each sentence, answered alone, says its own trouble
            _LOGGER.debug("sentences could not be prepared together", exc_info=True)
            return
        for one, understood in zip(batch, found, strict=True):
            one.understood = understood

    def speaks(self, language: Any) -> bool:
        if not isinstance(language, str) or not language.strip():
            return True  # unnamed: take it as ours
        return language.strip().lower().replace("_", "-").split("-")[0] in self.languages

    def handler(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> Handler:
        return Handler(reader, writer, self)


class Handler(AsyncEventHandler):
    """One client connection (Home Assistant opens one for each sentence)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 service: Service) -> None:
        super().__init__(reader, writer)
        self.service = service
        peer = writer.get_extra_info("peername")
        self.peer = peer
        self.who = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) and len(peer) >= 2 else "?"

    async def run(self) -> None:
        """The library's loop, with the checks before and around each event."""
        service = self.service
        if not is_allowed(self.peer, service.allow):
            _LOGGER.warning("%s is not on the --allow list; closed before reading", self.who)
            await self._close()
            return
        if service.stopping or service.clients >= service.max_clients:
            _LOGGER.warning("%s: %s; closed", self.who, "stopping" if service.stopping
                            else f"already {service.clients} clients at once")
            await self._close()
            return
        service.clients += 1
        try:
            while not service.stopping:
                event = await self._read()
                if event is None or not await self.handle_event(event):
                    break
        finally:
            service.clients -= 1
            await self._close()

    async def _read(self) -> Event | None:
        bounded = _Bounded(self.reader)
        try:
            event = await asyncio.wait_for(async_read_event(bounded),  # type: ignore[arg-type]
                                           self.service.idle_seconds)
        except asyncio.TimeoutError:
            _LOGGER.warning("%s said nothing for %.0f s; closed", self.who,
                            self.service.idle_seconds)
            return None
        except (asyncio.IncompleteReadError, ConnectionError):
            _LOGGER.warning("%s went away in the middle of an event", self.who)
            return None
        except Exception as err:  # noqa: BLE001 - what a broken client sends: one line, go on
            _LOGGER.warning("%s sent something that is not a Wyoming event (%s); closed",
                            self.who, type(err).__name__)
            return None
        if event is None and bounded.too_large:
            _LOGGER.warning("%s announced an event larger than %d bytes; closed", self.who,
                            MAX_EVENT_BYTES)
        elif event is None and bounded.started:
            _LOGGER.warning("%s sent something that is not a Wyoming event; closed", self.who)
        elif event is not None and not isinstance(event.data, dict):
            _LOGGER.warning("%s sent an event whose data is not an object; closed", self.who)
            return None
        return event

    async def handle_event(self, event: Event) -> bool:
        if Describe.is_type(event.type):
            await self.write_event(self.service.describe.event())
            return True
        if not Transcript.is_type(event.type):
            _LOGGER.debug("%s: %s ignored", self.who, event.type)
            return True
        text, context = event.data.get("text"), event.data.get("context")
        if not isinstance(text, str):
            await self._send(NotHandled(text="I didn't get any words.", context=_ctx(context)))
            return False
        if not self.service.speaks(event.data.get("language")):
            await self._send(NotHandled(
                text="I only understand " + ", ".join(self.service.languages) + " for now.",
                context=_ctx(context)))
            return False
        room = room_of(context)
        started = time.perf_counter()
        self.service.busy += 1
        try:
            loop = asyncio.get_running_loop()
            reply, intent, problem = await loop.run_in_executor(
                self.service.worker, self.service.answer, self.service.ask(room, text))
        except Exception as err:  # noqa: BLE001 - one sentence failed; the service goes on
            _LOGGER.warning("a sentence from %s could not be answered (%s: %s)", room,
                            type(err).__name__, err)
            _LOGGER.debug("details", exc_info=True)
            await self._send(NotHandled(text="Something went wrong on my side. "
                                             "Your glimmers are safe.", context=_ctx(context)))
            return False
        finally:
            self.service.busy -= 1
        if problem:
            _LOGGER.warning("%s: %s", room, problem)
        _LOGGER.info("%s: %s in %.0f ms", room, intent or "not understood",
                     (time.perf_counter() - started) * 1000)
        # Home Assistant speaks the text: a glimmer's emoji are not read out by name.
        await self._send(Handled(text=speakable(reply), context=_ctx(context)))
        return False  # one sentence per connection, as Home Assistant asks

    async def _send(self, message: Handled | NotHandled) -> None:
        try:
            await self.write_event(message.event())
        except (ConnectionError, RuntimeError):
            _LOGGER.warning("%s went away before the reply (anything saved is kept)", self.who)

    async def _close(self) -> None:
        try:
            self.writer.close()
            await asyncio.wait_for(self.writer.wait_closed(), 1.0)
        except (ConnectionError, asyncio.TimeoutError, RuntimeError):
            pass


def _ctx(context: Any) -> dict[str, Any] | None:
    """The context sent back: the conversation's id, so Home Assistant keeps it."""
    if isinstance(context, dict) and isinstance(context.get("conversation_id"), str):
        return {"conversation_id": context["conversation_id"]}
    return None


async def serve(service: Service, host: str, port: int, *, ready: Callable[[], None],
                stop: asyncio.Event) -> None:
    """Answer until `stop` is set; then finish the sentence in hand and close."""
    server = AsyncTcpServer(host, port)
    await server.start(service.handler)
    ready()
    try:
        await stop.wait()
    finally:
        service.stopping = True
        deadline = time.monotonic() + STOP_SECONDS
        while service.busy and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await server.stop()
        service.worker.shutdown(wait=True)  # a save in hand is finished, never cut


async def advertise(port: int, host: str) -> Any:
    """--zeroconf: say on the local network that a Wyoming service is here (as Wyoming
    services do, `_wyoming._tcp`); returns what to close on the way out."""
    import socket

    try:
        from zeroconf.asyncio import AsyncServiceInfo, AsyncZeroconf
    except ImportError:
        raise GlimmersError("--zeroconf needs the zeroconf package: "
                            "pip install 'voice-glimmers[zeroconf]'") from None
    address = advertised_address(host)
    if address is None:
        raise GlimmersError("--zeroconf found no IPv4 network address to advertise")
    name = f"voice-glimmers-{socket.gethostname()}"[:63]
    advert = AsyncServiceInfo("_wyoming._tcp.local.", f"{name}._wyoming._tcp.local.",
                              addresses=[socket.inet_aton(address)], port=port)
    zc = AsyncZeroconf()
    try:
        await zc.async_register_service(advert)
    except Exception as err:  # noqa: BLE001 - the network refused: one line
        await zc.async_close()
        raise GlimmersError(f"--zeroconf could not advertise the service: {err}") from None
    return zc


def probe(host: str, port: int, timeout: float = 2.0) -> str:
    """What answers at host:port (for `doctor`): a running serve, nothing, or another
    program (a GlimmersError)."""
    from wyoming.client import AsyncTcpClient

    connected = False

    async def ask() -> Event | None:
        nonlocal connected
        async with AsyncTcpClient(host, port, connect_timeout=timeout,
                                  read_timeout=timeout) as client:
            connected = True
            await client.write_event(Describe().event())
            return await client.read_event()

    where = f"{host}:{port}"
    try:
        event = asyncio.run(ask())
    except ConnectionRefusedError:
        return f"nothing listens on {where} yet: 'voice-glimmers serve' can start there"
    except (OSError, asyncio.TimeoutError) as err:
        # A reset, or a drop after connecting, means something accepted the connection.
        if not connected and not isinstance(err, ConnectionResetError | BrokenPipeError):
            raise GlimmersError(f"{where} cannot be reached ({type(err).__name__})") from None
        # Something accepted the connection, then dropped or reset it without answering
        # Describe: a program listens there, and it is not voice-glimmers.
        event = None
    if event is not None and Info.is_type(event.type):
        for program in Info.from_event(event).handle:
            if program.name == "voice-glimmers":
                return f"voice-glimmers {program.version or ''} answers at {where}".replace(
                    "  ", " ")
    raise GlimmersError(f"another program listens on {where}; "
                        "give serve another port with --uri")

