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
from typing import Any

from voice_glimmers.app.context import Context
from voice_glimmers.core.errors import GlimmersError, SpeechOutputError

_TERMINAL_CODES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|[\x00-\x08\x0b-\x1f\x7f]")


def _dialogue(ctx: Context, store, *, question_timeout: float | None):
    from voice_glimmers.app.context import load_likeness
    from voice_glimmers.app.settings import intents_dir
    from voice_glimmers.dialogue.conversation import Dialogue
    from voice_glimmers.language.bundle import Language

    language = Language.from_dir(intents_dir() / ctx.settings.language)
    return Dialogue(store, language, ctx.settings, question_timeout=question_timeout,
                    likeness=load_likeness(language))


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


def _print_and_say(parts, speaker) -> bool:
    """Each part of a reply on its own line, and spoken when there is a speaker. A speaker
    that fails is said once and still tried for the parts after; False if it failed."""
    spoken = True

    def told(err: SpeechOutputError) -> None:
        nonlocal spoken
        if spoken:
            print(f"voice-glimmers: {err}", file=sys.stderr)
        spoken = False

    for part in parts:
        print(part, flush=True)
        if speaker is not None:
            try:
                speaker.say(part)
            except SpeechOutputError as err:
                told(err)
    if speaker is not None:
        try:
            speaker.wait()
        except SpeechOutputError as err:
            told(err)
    return spoken


def cmd_chat(ctx: Context) -> int:
    """A typed conversation: the same dialogue the voice loop uses."""
    store = ctx.open_store()
    # Typing takes longer than speaking, so an open question waits for the answer.
    dialogue = _dialogue(ctx, store, question_timeout=None)
    speaker = _speaker(ctx) if ctx.args.speak else None
    interactive = sys.stdin.isatty()
    try:
        while True:
            try:
                line = input("you: ") if interactive else sys.stdin.readline()
            except EOFError:
                break
            if not interactive and line == "":
                break
            said = _TERMINAL_CODES.sub("", line).strip()  # colour codes are not words
            reply = dialogue.respond(said, ctx.clock(), source="text")
            if reply.problem:
                print(f"voice-glimmers: {reply.problem}", file=sys.stderr)
            if said and not reply.parts and dialogue.paused:
                wake = dialogue.wake.word
                print(f"(paused: say '{wake}, start listening' to go on)", file=sys.stderr)
            _print_and_say(reply.parts, speaker)
    finally:
        if speaker is not None:
            speaker.close()
        store.close()
    return 0


def cmd_reflect(ctx: Context) -> int:
    """The evening reflection, once (for a timer or cron job)."""
    store = ctx.open_store()
    try:
        # Run once, with nobody there to answer: it ends without a question.
        reply = _dialogue(ctx, store, question_timeout=None).reflect(ctx.clock(), offer=False)
    finally:
        store.close()
    speaker = None
    if ctx.args.to_wav or ctx.args.speak:
        speaker = _speaker(ctx, to_wav=ctx.args.to_wav)
    spoken = True
    try:
        spoken = _print_and_say(reply.parts, speaker)
    finally:
        if speaker is not None:
            try:
                speaker.close()
            except SpeechOutputError:
                if spoken:  # not said yet
                    raise
    if ctx.args.to_wav:
        print(f"Wrote the reflection to {ctx.args.to_wav}", file=sys.stderr)
    return 0 if spoken else 1


def _wake_word(ctx: Context) -> str | None:
    given = ctx.args.wake_word
    if given is None:
        return ctx.settings.wake_word
    return None if given.strip().lower() in ("", "none", "off") else given.strip().lower()


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
    from voice_glimmers.listen.events import Display, EventLog
    from voice_glimmers.listen.gate import Gate
    from voice_glimmers.listen.loop import Loop
    from voice_glimmers.voice.speakers import PrintSpeaker
    from voice_glimmers.voice.transcriber import VoskTranscriber

    # --wake-word reaches the dialogue too (it strips the word before a command).
    ctx = replace(ctx, settings=replace(ctx.settings, wake_word=_wake_word(ctx)))
    args, settings = ctx.args, ctx.settings
    model_dir = _model_dir(ctx)
    events_stream = None
    if args.events == "-":
        events_stream = sys.stdout
    elif args.events:
        try:
            events_stream = open(args.events, "a", encoding="utf-8")  # noqa: SIM115
        except OSError as err:
            raise GlimmersError(f"Cannot write events to {args.events}: {err.strerror}") from None
    # On a terminal the words heard and said are shown; in a log (a service's journal)
    # they are not kept unless asked for with -v.
    display = Display(sys.stderr, show_words=sys.stderr.isatty() or bool(args.verbose))
    events = EventLog(events_stream)
    store = ctx.open_store()
    speaker: Any = None
    source: Any = None
    try:
        dialogue = _dialogue(ctx, store, question_timeout=settings.question_timeout_seconds)
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
        transcriber = VoskTranscriber(model_dir)
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
        if args.input:
            from voice_glimmers.voice.audio import WavSource

            source = WavSource(args.input, realtime=args.realtime)
        else:
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
            gate=Gate(dialogue.wake, settings.follow_up_seconds,
                      settings.question_timeout_seconds),
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

        previous = signal.signal(signal.SIGINT, on_interrupt)
        try:
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
