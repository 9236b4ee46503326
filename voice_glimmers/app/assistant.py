"""The assistant put together from real parts: `chat`, `reflect` and `listen`.

Here the dialogue meets a real store, a real voice (pyttsx3, or a WAV file) and, for
`listen`, the microphone or a WAV file and the Vosk recogniser, joined by the loop.
Each `cmd_*` takes the command line's Context and returns the exit code. Heavy
libraries are imported inside the commands that need them.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any, TextIO

from voice_glimmers.app.context import Context
from voice_glimmers.core.display import printable
from voice_glimmers.core.errors import GlimmersError, SpeechOutputError, TooLarge

# Colour codes and other terminal controls typed or pasted (7-bit ESC [ and 8-bit CSI).
_TERMINAL_CODES = re.compile(r"(?:\x1b\[|\x9b)[0-9;?]*[A-Za-z]|[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# What the voice's errors suggest is `listen`'s: chat and reflect have no --no-speak.
_NO_SPEAK = re.compile(r"(?:use )?--no-speak(?: to print replies instead| prints replies instead)?")


def _without_speaking(err: SpeechOutputError) -> SpeechOutputError:
    """The error, suggesting what `chat --speak` and `reflect --speak` can do instead."""
    return SpeechOutputError(_NO_SPEAK.sub("leave out --speak to only print the replies",
                                           str(err)))


def _language(ctx: Context):
    """The language files, loaded (and checked) before the store is opened: a broken one
    is said at the start, before anything is kept."""
    from voice_glimmers.app.settings import intents_dir
    from voice_glimmers.language.bundle import Language

    return Language.from_dir(intents_dir() / ctx.settings.language)


def _dialogue(ctx: Context, store, language, *, question_timeout: float | None,
              typed: bool = False):
    from voice_glimmers.app.context import load_likeness, load_meaning, load_senses
    from voice_glimmers.dialogue.conversation import Dialogue

    meaning = load_meaning(language)
    return Dialogue(store, language, ctx.settings, question_timeout=question_timeout,
                    likeness=load_likeness(language), meaning=meaning,
                    senses=load_senses(language, meaning.likeness if meaning else None),
                    typed=typed)


def _voice(ctx: Context):
    from voice_glimmers.voice.speakers import Voice

    s = ctx.settings
    return Voice(rate=s.speech_rate, voice=s.speech_voice, volume=s.speech_volume)


def _speech_folder() -> Path:
    """Where replies are made into sound: private, in the data folder, since a reply can
    hold a glimmer's words; what a killed run left there is removed now."""
    from voice_glimmers.app.settings import user_data_dir
    from voice_glimmers.core.files import describe_os_error
    from voice_glimmers.voice.synthesis import remove_leftover_speech

    folder = user_data_dir() / "speech"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        folder.chmod(0o700)
    except OSError as err:
        raise GlimmersError(f"Cannot make the private folder {folder} for speech: "
                            f"{describe_os_error(err)}") from None
    remove_leftover_speech(folder)
    return folder


def _speaker(ctx: Context, *, to_wav: Path | None = None):
    """The real voice: pyttsx3 (espeak-ng on Linux) to the speakers, or into a WAV file."""
    from voice_glimmers.voice.speakers import Pyttsx3Speaker, WavSpeaker

    if to_wav:
        return WavSpeaker(to_wav, _voice(ctx), scratch_dir=_speech_folder())
    return Pyttsx3Speaker(_voice(ctx), scratch_dir=_speech_folder())


def _print_and_say(parts, speaker, pauses=()) -> bool:
    """Each part of a reply on its own line (shown harmlessly: a part can hold a glimmer's
    words), and spoken when there is a speaker. A speaker
    that fails is said once and still tried for the parts after; False if it failed."""
    spoken = True

    def told(err: SpeechOutputError) -> None:
        nonlocal spoken
        if spoken:
            print(f"voice-glimmers: {_without_speaking(err)}", file=sys.stderr)
        spoken = False

    for i, part in enumerate(parts):
        print(printable(part), flush=True)
        if speaker is not None:
            try:
                speaker.say(part)
                if i < len(pauses) and pauses[i]:
                    speaker.pause(pauses[i])  # room to stay with it
            except SpeechOutputError as err:
                told(err)
    if speaker is not None:
        try:
            speaker.wait()
        except SpeechOutputError as err:
            told(err)
    return spoken


def _typed_line(interactive: bool) -> str | None:
    """The next line typed or piped in, None when there are no more; TooLarge for a line
    far longer than anything said."""
    from voice_glimmers.app.lines import MAX_LINE, line_too_long, read_line

    if not interactive:
        return read_line(getattr(sys.stdin, "buffer", sys.stdin))
    try:
        line = input("you: ")
    except EOFError:
        return None
    if len(line) > MAX_LINE:
        raise line_too_long()
    return line


def cmd_chat(ctx: Context) -> int:
    """A typed conversation: the same dialogue the voice loop uses."""
    language = _language(ctx)
    store = ctx.open_store()
    # Typing takes longer than speaking, so an open question waits for the answer.
    dialogue = _dialogue(ctx, store, language, question_timeout=None, typed=True)
    try:
        speaker = _speaker(ctx) if ctx.args.speak else None
    except SpeechOutputError as err:
        store.close()
        raise _without_speaking(err) from None
    interactive = sys.stdin.isatty()
    try:
        if interactive:  # someone at the keyboard: say hello, and how to leave
            _print_and_say((dialogue.language.phrases.reply("chat_greeting"),), None)
        while True:
            try:
                line = _typed_line(interactive)
            except TooLarge as err:  # let go; the conversation goes on with the next line
                print(f"voice-glimmers: {err}", file=sys.stderr)
                continue
            if line is None:
                break
            said = _TERMINAL_CODES.sub("", line).strip()  # colour codes are not words
            if dialogue.is_leaving(said):
                _print_and_say((dialogue.language.phrases.reply("chat_leave"),), speaker)
                break
            reply = dialogue.respond(said, ctx.clock(), source="text")
            if reply.problem:
                print(f"voice-glimmers: {printable(reply.problem)}", file=sys.stderr)
            if said and not reply.parts and dialogue.paused:
                wake = dialogue.wake.word
                print(f"(paused: say '{wake}, start listening' to go on)", file=sys.stderr)
            _print_and_say(reply.parts, speaker, reply.pauses)
    finally:
        if speaker is not None:
            speaker.close()
        store.close()
    return 0


def cmd_reflect(ctx: Context) -> int:
    """The evening reflection, once (for a timer or cron job)."""
    if _listen_speaks_instead(ctx):
        return 0
    if ctx.args.to_wav:
        from voice_glimmers.core.files import refuse_special

        refuse_special(ctx.args.to_wav, writing=True)  # before anything is said
    language = _language(ctx)
    store = ctx.open_store(create=False)
    try:
        # Run once, with nobody there to answer: it ends without a question.
        reply = _dialogue(ctx, store, language, question_timeout=None).reflect(
            ctx.clock(), offer=False)
    finally:
        store.close()
    speaker = None
    if ctx.args.to_wav or ctx.args.speak:
        try:
            speaker = _speaker(ctx, to_wav=ctx.args.to_wav)
        except SpeechOutputError as err:
            raise _without_speaking(err) from None
    spoken = True
    try:
        spoken = _print_and_say(reply.parts, speaker, reply.pauses)
    finally:
        if speaker is not None:
            try:
                speaker.close()
            except SpeechOutputError as err:
                if spoken:  # not said yet
                    raise _without_speaking(err) from None
    if ctx.args.to_wav:
        print(f"Wrote the reflection to {ctx.args.to_wav}", file=sys.stderr)
    return 0 if spoken else 1


def _listen_speaks_instead(ctx: Context) -> bool:
    """`reflect --speak` from a timer while `listen` runs, which makes its own evening
    offer: two voices at once. It stays quiet and says why in one line. Asked for on a
    terminal, it speaks as asked."""
    from voice_glimmers.app.presence import is_listening

    settings = ctx.settings
    if not ctx.args.speak or ctx.args.to_wav or sys.stdin.isatty():
        return False
    if settings.reflection_time is None or not is_listening(settings.db_path):
        return False
    print(f"voice-glimmers: listen is running and offers the reflection itself at "
          f"{settings.reflection_time:%H:%M}, so reflect --speak stayed quiet "
          "(to have only the timer, set reflection_time = \"off\")", file=sys.stderr)
    return True


def wake_word_unheard(wake_word: str | None, transcriber: Any, template: str) -> str:
    """One line when the speech model does not know the wake word (it would never be
    heard), naming a word that would work if there is one; '' when it knows it."""
    if not wake_word:
        return ""
    unknown = transcriber.unknown_words(wake_word.split())
    if not unknown:
        return ""
    words = " and ".join(f"'{word}'" for word in unknown)
    other = (f", such as '{template}'" if template != wake_word
             and not transcriber.unknown_words(template.split()) else
             " (a word of the model's own language)")
    return (f"this speech model does not know {words}, so the wake word '{wake_word}' will "
            f"never be heard; choose one it knows with --wake-word{other}")


def _wake_word(ctx: Context) -> str | None:
    """--wake-word as the setting reads it: 'none' acts on everything, empty is refused."""
    from voice_glimmers.app.settings import parse_wake_word

    given = ctx.args.wake_word
    return ctx.settings.wake_word if given is None else parse_wake_word(given)


def _open_events(path: Path) -> tuple[TextIO, str | None]:
    """The --events file, appended to and readable only by you: it holds every word heard.

    Returns the stream, and a note when the file was there and others could read it
    (it is made private then, as every file voice-glimmers keeps). Only a regular
    file is written: anything else is refused, and a pipe is never waited on.
    """
    import stat

    from voice_glimmers.core.files import describe_os_error, refuse_special

    refuse_special(path, writing=True)
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        fd = os.open(path, flags, 0o600)
    except OSError as err:
        raise GlimmersError(f"Cannot write events to {path}: {describe_os_error(err)}") from None
    note = None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):  # swapped for something else since the look
            raise GlimmersError(f"Cannot write {path}: it is not a file, so I left it as it "
                                "is; name a file to write to")
        os.set_blocking(fd, True)
        if stat.S_IMODE(info.st_mode) & 0o077:
            os.fchmod(fd, 0o600)
            note = f"{path} could be read by others; now it is readable only by you"
    except BaseException:
        os.close(fd)
        raise
    return os.fdopen(fd, "a", encoding="utf-8"), note


def _turn_taker(recogniser: Any, dialogue: Any, gate: Any, clock: Any, settings: Any) -> Any:
    """Vosk behind the end-of-speech policy and the detector (listen/turns.py)."""
    from voice_glimmers.listen.turns import EndOfSpeech, TurnTaker, conversation_turns
    from voice_glimmers.voice.vad import SpeechDetector

    def named(text: str) -> bool:
        return gate.wake_word is not None and gate.has_wake_word(text)

    turns = conversation_turns(dialogue, dialogue.language.registry.kind, named, clock)
    policy = EndOfSpeech(settings.short_silence_seconds, settings.long_silence_seconds)
    return TurnTaker(recogniser, SpeechDetector(), policy, turns)


def _model_dir(ctx: Context) -> Path:
    """The speech model; on a terminal, offer to download the default one when none is found."""
    from voice_glimmers.core.errors import ModelNotFound
    from voice_glimmers.voice.models import (
        DEFAULT_MODEL,
        download_model,
        model_list_url,
        resolve_model,
        user_models_dir,
    )

    try:
        return resolve_model(getattr(ctx.args, "model", None), ctx.settings, os.environ)
    except ModelNotFound:
        if not (sys.stdin.isatty() and sys.stderr.isatty()):
            raise
        answer = input(f"No speech model found. Download {DEFAULT_MODEL} (about 40 MB)? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            raise
        return download_model(DEFAULT_MODEL, user_models_dir(), list_url=model_list_url(os.environ))


def cmd_listen(ctx: Context) -> int:
    """The main job: hands-free, from the microphone (or a WAV file) to spoken replies."""
    import signal
    from dataclasses import replace

    from voice_glimmers.core.events import Event
    from voice_glimmers.core.files import refuse_special
    from voice_glimmers.listen.events import Display, EventLog
    from voice_glimmers.listen.gate import Gate
    from voice_glimmers.listen.loop import Loop
    from voice_glimmers.voice.speakers import PrintSpeaker
    from voice_glimmers.voice.transcriber import VoskTranscriber

    # --wake-word reaches the dialogue too (it strips the word before a command).
    ctx = replace(ctx, settings=replace(ctx.settings, wake_word=_wake_word(ctx)))
    args, settings = ctx.args, ctx.settings
    # The files named are looked at before the model is looked for, and loads (seconds,
    # and hundreds of MB): a file that is not there is said first.
    if args.speak_to:
        refuse_special(args.speak_to, writing=True)
    source: Any = None
    if args.input:
        from voice_glimmers.voice.audio import WavSource

        refuse_special(args.input, writing=False)  # a pipe or a device would be waited on
        source = WavSource(args.input, realtime=args.realtime)  # reads the WAV header now
    try:
        model_dir = _model_dir(ctx)
    except BaseException:
        if source is not None:
            source.close()
        raise
    # On a terminal the words heard and said are shown; in a log (a service's journal)
    # they are not kept unless asked for with -v.
    display = Display(sys.stderr, show_words=sys.stderr.isatty() or bool(args.verbose))
    events_stream = None
    if args.events == "-":
        events_stream = sys.stdout
    elif args.events:
        events_stream, note = _open_events(Path(args.events))
        if note:
            display.line("note", note)
    events = EventLog(events_stream)
    language = _language(ctx)
    store = ctx.open_store()
    speaker: Any = None
    try:
        dialogue = _dialogue(ctx, store, language,
                             question_timeout=settings.question_timeout_seconds)
        display.line("model", str(model_dir))
        from voice_glimmers.voice.models import model_language

        heard_in = model_language(model_dir)
        if heard_in and heard_in != settings.language:
            display.line(
                "note",
                f"this speech model hears '{heard_in}', so '{settings.language}' "
                "commands will not be understood; 'voice-glimmers model download' "
                "gets the English one",
            )
        gate = Gate(dialogue.wake, settings.follow_up_seconds,
                    settings.question_timeout_seconds)
        vosk = VoskTranscriber(model_dir)
        unheard = wake_word_unheard(settings.wake_word, vosk, language.intents.wake_word)
        if unheard:
            display.line("note", unheard)
        transcriber = _turn_taker(vosk, dialogue, gate, ctx.clock, settings)
        loop_ref: list[Loop] = []

        def speech_event(event: Event) -> None:
            if loop_ref:
                loop_ref[0].speech_event(event)

        if args.no_speak:
            out = open(os.devnull, "w") if events_stream is sys.stdout else sys.stdout  # noqa: SIM115
            speaker = PrintSpeaker(out, on_event=speech_event)
        elif args.speak_to:
            from voice_glimmers.voice.speakers import WavSpeaker

            speaker = WavSpeaker(args.speak_to, _voice(ctx), on_event=speech_event,
                                 scratch_dir=_speech_folder())
        else:
            from voice_glimmers.voice.speakers import Pyttsx3Speaker

            speaker = Pyttsx3Speaker(_voice(ctx), on_event=speech_event,
                                     scratch_dir=_speech_folder())
        if source is None:
            from voice_glimmers.voice.microphone import MicSource

            source = MicSource(args.device, on_status=lambda text: display.line("microphone", text))
        loop = Loop(
            source=source,
            transcriber=transcriber,
            dialogue=dialogue,
            speaker=speaker,
            clock=ctx.clock,
            events=events,
            display=display,
            gate=gate,
            half_duplex=args.input is None,
            audio_clock=args.input is not None and not args.realtime,  # a recording, read fast
            show_replies=not args.no_speak or events_stream is sys.stdout,
            reflection_time=settings.reflection_time,
        )
        loop_ref.append(loop)

        def on_interrupt(signum, frame):  # first Ctrl-C: finish what is in hand, then stop
            signal.signal(signal.SIGINT, signal.default_int_handler)
            display.line("stopping", "finishing up (Ctrl-C again to stop at once)")
            loop.stop()

        from voice_glimmers.app.presence import listening

        previous = signal.signal(signal.SIGINT, on_interrupt)
        try:
            with listening(settings.db_path):  # a timer's reflect --speak leaves the evening to us
                loop.run()
        except KeyboardInterrupt:  # the second Ctrl-C: stop at once, even mid-sentence
            speaker.stop()
            raise
        finally:
            signal.signal(signal.SIGINT, previous)
    finally:
        if source is not None:
            source.close()
        if speaker is not None:
            speaker.close()
        store.close()
        if events_stream not in (None, sys.stdout):
            events_stream.close()
    return 0


DEFAULT_URI = "tcp://127.0.0.1:10700"


def serve_address(uri: str) -> tuple[str, int]:
    from urllib.parse import urlparse

    try:
        parsed = urlparse(uri)
        scheme, host, port = parsed.scheme, parsed.hostname, parsed.port
    except ValueError:  # a port that is not a number, or out of range
        scheme, host, port = "", None, None
    if scheme != "tcp" or not host or port is None:
        raise GlimmersError(f"--uri {uri!r} should look like tcp://127.0.0.1:10700")
    return host, port


def _is_local(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def cmd_serve(ctx: Context) -> int:
    """The Wyoming handle service: Home Assistant's satellites, one conversation per room."""
    import asyncio
    import logging
    import signal
    from dataclasses import replace

    from voice_glimmers import __version__
    from voice_glimmers.app.context import load_likeness, load_senses
    from voice_glimmers.app.settings import intents_dir
    from voice_glimmers.dialogue.conversation import Dialogue
    from voice_glimmers.language.bundle import Language
    from voice_glimmers.serve.rooms import Rooms
    from voice_glimmers.serve.service import (
        Service,
        advertise,
        info,
        one_numpy_thread,
        parse_allow,
        serve,
    )
    from voice_glimmers.understand.screen import Screen
    from voice_glimmers.understand.wake import WakeWord

    args = ctx.args
    uri = args.uri or DEFAULT_URI
    host, port = serve_address(uri)
    try:
        allow = parse_allow(args.allow or [])
    except ValueError as err:
        raise GlimmersError(str(err)) from None
    if args.zeroconf and _is_local(host):
        raise GlimmersError("--zeroconf tells the network about the service, but it listens "
                            f"only on {host}; give --uri tcp://0.0.0.0:{port} as well")
    log = logging.getLogger("voice_glimmers.serve")
    out = logging.StreamHandler(sys.stderr)
    out.setFormatter(logging.Formatter("voice-glimmers serve: %(message)s"))
    log.addHandler(out)
    log.propagate = False
    log.setLevel(logging.INFO if args.verbose else logging.WARNING)

    one_numpy_thread()  # before the sentence model loads numpy
    # The satellite heard its own wake word: every sentence is meant for voice-glimmers.
    settings = replace(ctx.settings, wake_word=None)
    language = Language.from_dir(intents_dir() / settings.language)
    likeness = load_likeness(language)
    screen = Screen(language.signs, language.lexicon, likeness,
                    WakeWord.of(None, language).words)
    screen.judge("the smell of rain")  # the sentence model's first run is slow: not on a guest
    senses = load_senses(language)
    if senses is not None:
        senses.of(["the smell of rain"])  # its encoder loads at its first glimmer: not a guest's
    store = ctx.open_store()

    def make(room: str) -> Dialogue:
        return Dialogue(store, language, settings, likeness=likeness, screen=screen, room=room,
                        senses=senses,
                        question_timeout=settings.question_timeout_seconds,
                        read_backs=settings.satellite_read_backs)

    service = Service(Rooms(make, reflection_time=settings.reflection_time), ctx.clock,
                      info(__version__, [settings.language]), [settings.language], allow=allow)

    def ready() -> None:
        print(f"voice-glimmers: serving glimmers at {uri} for Home Assistant "
              "(Wyoming Protocol integration, this host and port)", file=sys.stderr, flush=True)
        if not _is_local(host):
            who = "the addresses given with --allow" if allow else "anyone who can reach it"
            print(f"voice-glimmers: port {port} is open to the network: {who} can add glimmers "
                  "and hear them read back", file=sys.stderr, flush=True)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()

        def stopping() -> None:
            if not stop.is_set():
                print("voice-glimmers: stopping (finishing the sentence in hand)",
                      file=sys.stderr, flush=True)
            stop.set()

        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stopping)
        advert = None
        try:
            if args.zeroconf:
                advert = await advertise(port, host)
            await serve(service, host, port, ready=ready, stop=stop)
        finally:
            if advert is not None:
                await advert.async_close()

    try:
        asyncio.run(main())
    except OSError as err:
        raise GlimmersError(f"Cannot listen on {host}:{port}: {err.strerror or err}"
                            " (is another 'serve' running? choose another port with --uri)"
                            ) from None
    finally:
        store.close()
    return 0
