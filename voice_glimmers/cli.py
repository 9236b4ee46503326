"""The command line: parse arguments, build the real parts, wire them, report errors.

This is the only module that builds real devices and opens real paths; everything
it calls takes what it needs as arguments. Heavy libraries are imported inside
the commands that need them, so `--help`, `add`, `list` and `export` start fast.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from voice_glimmers import __version__
from voice_glimmers.clock import Clock, PinnedClock, parse_moment, system_clock
from voice_glimmers.config import Settings, load_settings
from voice_glimmers.errors import GlimmersError

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class Context:
    """What every command gets: settings, the clock, and the parsed arguments."""

    settings: Settings
    clock: Clock
    args: argparse.Namespace

    def open_store(self):  # -> GlimmerStore
        from voice_glimmers.keyboard import open_store

        return open_store(self.settings, self.clock)


# --- commands -------------------------------------------------------------
# Each takes the Context and returns the process exit code.


def cmd_add(ctx: Context) -> int:
    """Save one glimmer typed on the command line."""
    from voice_glimmers.formats import day_heading
    from voice_glimmers.keyboard import moment_at, open_store
    from voice_glimmers.store import validate_text

    s = ctx.settings
    now = ctx.clock()
    text = validate_text(ctx.args.text)
    at = now
    if ctx.args.at:
        at = moment_at(ctx.args.at, now, day_start_hour=s.day_start_hour, week_start=s.week_start)
    # Tags come from the same word list the voice loop uses; a broken list never stops a save.
    try:
        from voice_glimmers.config import intents_dir
        from voice_glimmers.tags import TagVocabulary, tag_text

        tags = tag_text(text, TagVocabulary.from_dir(intents_dir() / s.language))
    except GlimmersError as err:
        _LOGGER.warning("saving without tags: %s", err)
        tags = ()
    with open_store(s, ctx.clock) as store:
        glimmer = store.add(text, at=at, source="text", tags=tags)
        today = store.day_of(now)
    when = "" if glimmer.day == today else f" ({day_heading(glimmer.day)})"
    print(f"Saved (id {glimmer.id}){when}: {glimmer.text}")
    return 0


def cmd_list(ctx: Context) -> int:
    """Glimmers of a day or range of days, grouped by day (default: today)."""
    from voice_glimmers.clock import glimmer_day
    from voice_glimmers.formats import day_heading, to_json, to_listing
    from voice_glimmers.keyboard import days_named, open_store

    s = ctx.settings
    words = " ".join(ctx.args.when).strip() or "today"
    today = glimmer_day(ctx.clock(), s.day_start_hour)
    span = days_named(words, today, week_start=s.week_start)
    with open_store(s, ctx.clock) as store:
        glimmers = store.all() if span.is_everything else store.between(span.start, span.end)
    if ctx.args.json:
        sys.stdout.write(to_json(glimmers))
    elif glimmers:
        sys.stdout.write(to_listing(glimmers))
    elif span.is_everything:
        print("No glimmers saved yet. Whenever one comes along, it will be kept here.")
    elif span.start == span.end == today:
        print("Nothing saved today, and that's alright.")
    else:
        # Their own words when they used words; a date is said as a day.
        when = words
        if words[:1].isdigit():
            when = f"on {day_heading(span.start)}"
            if span.end != span.start:
                when = f"from {day_heading(span.start)} to {day_heading(span.end)}"
        elif words.startswith("the "):
            when = f"in {words}"
        print(f"Nothing saved {when}, and that's alright.")
    return 0


def cmd_undo(ctx: Context) -> int:
    """Bring back the glimmer deleted last."""
    from voice_glimmers.keyboard import open_store

    with open_store(ctx.settings, ctx.clock) as store:
        restored = store.undo()
    if restored is None:
        print("There is nothing deleted to bring back.")
    else:
        print(f"Brought back (id {restored.id}): {restored.text}")
    return 0


def cmd_delete(ctx: Context) -> int:
    """Delete one glimmer by id; undo brings it back."""
    from voice_glimmers.errors import NotFound
    from voice_glimmers.keyboard import open_store

    try:
        glimmer_id = int(ctx.args.id)
    except ValueError:
        raise NotFound(
            f"'{ctx.args.id}' is not a glimmer id; 'voice-glimmers list' shows them"
        ) from None
    with open_store(ctx.settings, ctx.clock) as store:
        deleted = store.delete(glimmer_id, at=ctx.clock())
    print(f"Deleted (id {deleted.id}): {deleted.text}")
    print("'voice-glimmers undo' brings it back if you'd like it.")
    return 0


def _look_back(ctx: Context):  # -> (glimmers, start, end, today)
    """What the therapy summary and the garden look back over: the glimmers of the
    days --when names (default: the last 12 weeks), that range from the first one
    kept, and today."""
    from voice_glimmers.errors import UnknownWhen
    from voice_glimmers.summary import look_back_range, narrow_range

    with ctx.open_store() as store:
        today = store.day_of(ctx.clock())
        span = look_back_range(ctx.args.when, today, week_start=ctx.settings.week_start)
        if span is None:
            raise UnknownWhen(
                f"'{ctx.args.when}' does not name days I know; try 'this month', "
                "'last month', 'the last 4 weeks' or 'all'"
            )
        glimmers = store.between(*span)
    start, end = narrow_range(glimmers, *span)
    return glimmers, start, end, today


def _write_file(path: Path, text: str) -> Path:
    """Write `text` to `path` all at once (created private, 0600); returns the full path."""
    from voice_glimmers.storage import describe_os_error, write_atomically

    path = path.expanduser().absolute()
    try:
        os.close(write_atomically(path, text.encode("utf-8")))
    except OSError as err:
        raise GlimmersError(f"Cannot write {path}: {describe_os_error(err)}") from None
    return path


def _export_therapy(ctx: Context) -> int:
    """The therapy summary: Markdown of the chosen days (default: the last 12 weeks)."""
    from voice_glimmers.summary import therapy_markdown

    glimmers, start, end, today = _look_back(ctx)
    text = therapy_markdown(glimmers, start, end, today=today)
    if ctx.args.output is None:
        sys.stdout.write(text)
        return 0
    path = _write_file(ctx.args.output, text)
    print(f"Your therapy summary is at {path}")
    return 0


def cmd_export(ctx: Context) -> int:
    """Glimmers as Markdown, CSV or JSON, to the screen or a file."""
    if ctx.args.format == "therapy":
        return _export_therapy(ctx)
    from voice_glimmers.clock import glimmer_day
    from voice_glimmers.formats import to_csv, to_json, to_markdown
    from voice_glimmers.keyboard import days_named, open_store, write_output

    s = ctx.settings
    span = None
    if ctx.args.when:
        today = glimmer_day(ctx.clock(), s.day_start_hour)
        span = days_named(ctx.args.when, today, week_start=s.week_start)
    with open_store(s, ctx.clock) as store:
        if span is None or span.is_everything:
            glimmers = store.all()
        else:
            glimmers = store.between(span.start, span.end)
    write = {"md": to_markdown, "csv": to_csv, "json": to_json}[ctx.args.format]
    write_output(write(glimmers), ctx.args.output)
    if ctx.args.output:
        print(f"Wrote your glimmers to {ctx.args.output}", file=sys.stderr)
    return 0


def cmd_import(ctx: Context) -> int:
    """Glimmers from a JSON or CSV export; ones already here are skipped."""
    from voice_glimmers.formats import read_glimmers
    from voice_glimmers.keyboard import open_store, read_input

    s = ctx.settings
    path = ctx.args.file
    glimmers = read_glimmers(read_input(path), name=str(path), day_start_hour=s.day_start_hour)
    with open_store(s, ctx.clock) as store:
        added = store.import_glimmers(glimmers)
    already = len(glimmers) - added
    line = f"Added {added} glimmer{'' if added == 1 else 's'} from {path}"
    if already:
        line += f"; {already} {'was' if already == 1 else 'were'} already here"
    print(line + ".")
    return 0


def cmd_understand(ctx: Context) -> int:
    """Show what each utterance means: the words of TEXT as one, or one per stdin line."""
    import json

    from voice_glimmers.clock import glimmer_day
    from voice_glimmers.config import intents_dir
    from voice_glimmers.intents import Intents, describe
    from voice_glimmers.utterance import understand_said

    intents = Intents.from_dir(intents_dir() / ctx.settings.language)

    def utterances():
        if ctx.args.text:
            yield " ".join(ctx.args.text)
            return
        for raw in sys.stdin.buffer:  # bytes: a line that is not UTF-8 cannot stop the rest
            yield raw.decode("utf-8", "replace").rstrip("\r\n")

    for line in utterances():
        today = glimmer_day(ctx.clock(), ctx.settings.day_start_hour)
        # The same understanding the assistant acts on, wake word and all.
        match = understand_said(line, intents, today=today, week_start=ctx.settings.week_start,
                                wake_word=ctx.settings.wake_word)
        if ctx.args.json:
            shown = (
                match.to_dict()
                if match
                else {"text": line, "intent": None, "slots": {}, "score": 0}
            )
            print(json.dumps(shown), flush=True)
        else:
            print(f"{line!r} -> {describe(match)}", flush=True)
    return 0


def _dialogue(ctx: Context, store, *, question_timeout: float | None):
    from voice_glimmers.config import intents_dir
    from voice_glimmers.dialogue import Dialogue
    from voice_glimmers.language import Language

    language = Language.from_dir(intents_dir() / ctx.settings.language)
    return Dialogue(store, language, ctx.settings, question_timeout=question_timeout)


def _voice(ctx: Context):
    from voice_glimmers.speak import Voice

    s = ctx.settings
    return Voice(rate=s.speech_rate, voice=s.speech_voice, volume=s.speech_volume)


def _speaker(ctx: Context, *, to_wav: Path | None = None):
    """The real voice: pyttsx3 (espeak-ng on Linux) to the speakers, or into a WAV file."""
    from voice_glimmers.speak import Pyttsx3Speaker, WavSpeaker

    return WavSpeaker(to_wav, _voice(ctx)) if to_wav else Pyttsx3Speaker(_voice(ctx))


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
            reply = dialogue.respond(line.strip(), ctx.clock(), source="text")
            if reply.problem:
                print(f"voice-glimmers: {reply.problem}", file=sys.stderr)
            for part in reply.parts:
                print(part, flush=True)
                if speaker is not None:
                    speaker.say(part)
            if speaker is not None:
                speaker.wait()
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
    try:
        for part in reply.parts:
            print(part, flush=True)
            if speaker is not None:
                speaker.say(part)
        if speaker is not None:
            speaker.wait()
    finally:
        if speaker is not None:
            speaker.close()
    if ctx.args.to_wav:
        print(f"Wrote the reflection to {ctx.args.to_wav}", file=sys.stderr)
    return 0


def _wake_word(ctx: Context) -> str | None:
    given = ctx.args.wake_word
    if given is None:
        return ctx.settings.wake_word
    return None if given.strip().lower() in ("", "none", "off") else given.strip().lower()


def _model_dir(ctx: Context) -> Path:
    """The speech model; on a terminal, offer to download the default one when none is found."""
    from voice_glimmers.errors import ModelNotFound
    from voice_glimmers.models import (
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

    from voice_glimmers.events import Display, EventLog
    from voice_glimmers.gate import Gate
    from voice_glimmers.loop import Loop
    from voice_glimmers.speak import PrintSpeaker
    from voice_glimmers.transcribe import VoskTranscriber

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
    speaker = source = None
    try:
        dialogue = _dialogue(ctx, store, question_timeout=settings.question_timeout_seconds)
        display.line("model", str(model_dir))
        from voice_glimmers.models import model_language

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

        def speech_event(event: dict) -> None:
            if loop_ref:
                loop_ref[0].speech_event(event)

        if args.no_speak:
            out = open(os.devnull, "w") if events_stream is sys.stdout else sys.stdout  # noqa: SIM115
            speaker = PrintSpeaker(out, on_event=speech_event)
        elif args.speak_to:
            from voice_glimmers.speak import WavSpeaker

            speaker = WavSpeaker(args.speak_to, _voice(ctx), on_event=speech_event)
        else:
            from voice_glimmers.speak import Pyttsx3Speaker

            speaker = Pyttsx3Speaker(_voice(ctx), on_event=speech_event)
        if args.input:
            from voice_glimmers.audio import WavSource

            source = WavSource(args.input, realtime=args.realtime)
        else:
            from voice_glimmers.audio import MicSource

            source = MicSource(args.device, on_status=lambda text: display.line("microphone", text))
        wake = settings.wake_word
        loop = Loop(
            source=source,
            transcriber=transcriber,
            dialogue=dialogue,
            speaker=speaker,
            clock=ctx.clock,
            events=events,
            display=display,
            gate=Gate(wake, settings.follow_up_seconds, settings.question_timeout_seconds),
            half_duplex=args.input is None,
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


def cmd_devices(ctx: Context) -> int:
    from voice_glimmers.audio import list_devices

    devices = list_devices()
    if not devices:
        print("No sound devices found. Check that a microphone is plugged in and switched on.")
        return 1
    print(f"{'':2}{'#':>3}  {'in':>3} {'out':>3} {'rate':>6}  name")
    for d in devices:
        mark = ("<" if d.is_default_input else " ") + (">" if d.is_default_output else " ")
        print(
            f"{mark}{d.index:>3}  {d.max_input_channels:>3} {d.max_output_channels:>3} "
            f"{d.default_samplerate:>6.0f}  {d.name}"
        )
    print("< default microphone, > default speaker. Choose one with: listen --device NUMBER")
    return 0


def cmd_model(ctx: Context) -> int:
    from voice_glimmers import models

    args, env = ctx.args, os.environ
    if args.action == "path":
        print(models.resolve_model(args.model, ctx.settings, env))
        return 0
    list_url = models.model_list_url(env)
    if args.action == "download":
        name = args.name or models.DEFAULT_MODEL
        print(f"Downloading {name} into {models.user_models_dir()} ...", file=sys.stderr)
        folder = models.download_model(
            name, models.user_models_dir(), list_url=list_url, progress=sys.stderr.isatty()
        )
        print(folder)
        return 0
    found = models.find_models(ctx.settings, env)
    try:
        in_use = models.resolve_model(args.model, ctx.settings, env)
    except GlimmersError:
        in_use = None
    if not found:
        print("No speech model installed. Get one with: voice-glimmers model download")
    for path in found:
        print(f"{'*' if path == in_use else ' '} {path}")
    if found:
        print("* the one listen uses")
    if args.remote:
        names = {p.name for p in found} | {p.parent.name for p in found}
        print(f"\nOffered at {list_url}:")
        for m in models.fetch_model_list(list_url):
            if not m.obsolete:
                size = f"{m.size / 1e6:.0f} MB" if m.size else "?"
                mark = "installed" if m.name in names else ""
                print(f"  {m.name:<40} {m.lang:<8} {size:>8}  {mark}".rstrip())
    return 0


def cmd_doctor(ctx: Context) -> int:
    """Check the database, language files, speech model, microphone and speech output."""
    from voice_glimmers.doctor import examine

    problems = 0
    for finding in examine(ctx.settings, ctx.clock, model=ctx.args.model, device=ctx.args.device):
        mark = "ok" if finding.ok else "needs care"
        print(f"{finding.part:>13}: {mark:<10}  {finding.message}", flush=True)
        problems += not finding.ok
    if problems:
        parts = "part needs" if problems == 1 else "parts need"
        print(f"\n{problems} {parts} care; each line says what to try.")
    return 1 if problems else 0


def cmd_garden(ctx: Context) -> int:
    """Write the glimmer garden page (default ./glimmer-garden.html) and maybe open it."""
    from voice_glimmers.garden import DEFAULT_FILENAME, render_garden

    glimmers, start, end, today = _look_back(ctx)
    page = render_garden(glimmers, start, end, today=today, week_start=ctx.settings.week_start)
    path = _write_file(ctx.args.output or Path(DEFAULT_FILENAME), page)
    print(f"Your glimmer garden is at {path}")
    if ctx.args.open:
        import webbrowser

        if not webbrowser.open(path.as_uri()):
            print(
                "voice-glimmers: no browser would open; the page is there to open yourself.",
                file=sys.stderr,
            )
    return 0


# --- parsing --------------------------------------------------------------


def _global_options(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    """--db, --now and -v are accepted before or after the command name."""
    default = argparse.SUPPRESS if suppress else None
    parser.add_argument(
        "--db",
        type=Path,
        default=default,
        metavar="PATH",
        help="the glimmer database file (default: in your data folder)",
    )
    parser.add_argument(
        "--now",
        default=default,
        metavar="ISO8601",
        help="pretend it is this moment (for demos and tests)",
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=argparse.SUPPRESS if suppress else False,
        help="say more about what is happening",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="voice-glimmers",
        description="An offline voice companion for noticing and remembering glimmers.",
    )
    parser.add_argument("--version", action="version", version=f"voice-glimmers {__version__}")
    _global_options(parser, suppress=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, func, help: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help)
        _global_options(p, suppress=True)
        p.set_defaults(func=func)
        return p

    p = command("listen", cmd_listen, "listen hands-free for glimmers (the main job)")
    p.add_argument(
        "--input",
        type=Path,
        metavar="FILE.wav",
        help="listen to a WAV file instead of the microphone",
    )
    p.add_argument("--realtime", action="store_true", help="play --input at speaking speed")
    p.add_argument("--model", type=Path, metavar="DIR", help="the Vosk model folder to use")
    p.add_argument("--device", help="microphone to use (a number or part of a name; see 'devices')")
    p.add_argument(
        "--wake-word",
        metavar="WORD",
        help="word that wakes the assistant, or 'none' to act on everything",
    )
    p.add_argument("--no-speak", action="store_true", help="print replies instead of speaking them")
    p.add_argument(
        "--speak-to", type=Path, metavar="FILE.wav", help="write spoken replies to a WAV file"
    )
    p.add_argument(
        "--events", metavar="FILE", help="write one JSON event per line to FILE ('-' for stdout)"
    )

    p = command("add", cmd_add, "save a glimmer from the keyboard")
    p.add_argument("text", help="the glimmer, in your words")
    p.add_argument(
        "--at",
        metavar="WHEN",
        help="when it happened: a moment like 2026-11-20T18:00, "
        "or a day like 'yesterday' or 2026-11-20 (a day means noon that day)",
    )

    p = command("list", cmd_list, "show glimmers (default: today)")
    p.add_argument("when", nargs="*", help="e.g. today, yesterday, 'this week', 'last month', all")
    p.add_argument("--json", action="store_true", help="print a JSON array")

    command("undo", cmd_undo, "bring back the glimmer deleted last")

    p = command("delete", cmd_delete, "delete one glimmer by its id (undo brings it back)")
    p.add_argument("id", help="the glimmer's id, as shown by 'list'")

    p = command(
        "export", cmd_export, "write your glimmers as Markdown, CSV, JSON or a therapy summary"
    )
    p.add_argument("--format", choices=["md", "csv", "json", "therapy"], default="md")
    p.add_argument(
        "--when", metavar="RANGE", help="which days (default: all; therapy: the last 12 weeks)"
    )
    p.add_argument(
        "-o", "--output", type=Path, metavar="FILE", help="write here instead of to the screen"
    )

    p = command("import", cmd_import, "add glimmers from a JSON or CSV export")
    p.add_argument("file", type=Path)

    p = command("understand", cmd_understand, "show how the assistant understands sentences")
    p.add_argument("text", nargs="*", help="a sentence (default: one per line from standard input)")
    p.add_argument("--json", action="store_true", help="one JSON object per line")

    p = command("chat", cmd_chat, "talk to the assistant by typing")
    p.add_argument("--speak", action="store_true", help="also speak the replies")

    p = command("reflect", cmd_reflect, "run the evening reflection once")
    p.add_argument("--speak", action="store_true", help="speak it aloud")
    p.add_argument(
        "--to-wav", type=Path, metavar="FILE", help="write the spoken reflection to a WAV file"
    )

    command("devices", cmd_devices, "list microphones and speakers")

    p = command("model", cmd_model, "list, download or locate speech models")
    p.add_argument("action", choices=["list", "download", "path"])
    p.add_argument("name", nargs="?", help="model name (default: vosk-model-small-en-us-0.15)")
    p.add_argument("--model", type=Path, metavar="DIR", help="a model folder to check")
    p.add_argument("--remote", action="store_true", help="list: also the models offered online")

    p = command("doctor", cmd_doctor, "check the model, microphone, speech output and database")
    p.add_argument("--model", type=Path, metavar="DIR", help="the Vosk model folder to check")
    p.add_argument("--device", help="the microphone to check")

    p = command("garden", cmd_garden, "write your glimmer garden: one HTML page to look back with")
    p.add_argument("--when", metavar="RANGE", help="which days (default: the last 12 weeks)")
    p.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="FILE.html",
        help="where to write it (default: glimmer-garden.html in this folder)",
    )
    p.add_argument("--open", action="store_true", help="open it in your browser")
    return parser


def make_context(args: argparse.Namespace) -> Context:
    settings = load_settings()
    if args.db is not None:
        settings = settings.with_overrides(db_path=args.db)
    now_text = args.now or os.environ.get("VOICE_GLIMMERS_NOW")
    clock: Clock = PinnedClock(parse_moment(now_text)) if now_text else system_clock
    return Context(settings=settings, clock=clock, args=args)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return args.func(make_context(args))
    except GlimmersError as err:
        print(f"voice-glimmers: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as err:  # the process edge: one line for a person, details with -v
        _LOGGER.debug("unexpected error", exc_info=True)
        print(
            f"voice-glimmers: something unexpected went wrong ({type(err).__name__}: {err}). "
            "Run again with -v for details.",
            file=sys.stderr,
        )
        return 70
