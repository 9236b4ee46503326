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
        from voice_glimmers.store import GlimmerStore

        store = GlimmerStore.open(self.settings.db_path, day_start_hour=self.settings.day_start_hour)
        for notice in store.notices:
            print(notice, file=sys.stderr)
        return store


# --- commands -------------------------------------------------------------
# Each takes the Context and returns the process exit code.


def cmd_add(ctx: Context) -> int:
    raise GlimmersError("'add' is not built yet")


def cmd_list(ctx: Context) -> int:
    raise GlimmersError("'list' is not built yet")


def cmd_undo(ctx: Context) -> int:
    raise GlimmersError("'undo' is not built yet")


def cmd_delete(ctx: Context) -> int:
    raise GlimmersError("'delete' is not built yet")


def cmd_export(ctx: Context) -> int:
    raise GlimmersError("'export' is not built yet")


def cmd_import(ctx: Context) -> int:
    raise GlimmersError("'import' is not built yet")


def cmd_understand(ctx: Context) -> int:
    raise GlimmersError("'understand' is not built yet")


def _dialogue(ctx: Context, store, *, question_timeout: float | None):
    from voice_glimmers.config import intents_dir
    from voice_glimmers.dialogue import Dialogue, Language

    language = Language.from_dir(intents_dir() / ctx.settings.language)
    return Dialogue(store, language, ctx.settings, question_timeout=question_timeout)


def _speaker(ctx: Context, *, to_wav: Path | None = None):
    """The real voice: pyttsx3 (espeak-ng on Linux) to the speakers, or into a WAV file."""
    from voice_glimmers.speak import Pyttsx3Speaker, Voice, WavSpeaker

    s = ctx.settings
    voice = Voice(rate=s.speech_rate, voice=s.speech_voice, volume=s.speech_volume)
    return WavSpeaker(to_wav, voice) if to_wav else Pyttsx3Speaker(voice)


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
        reply = _dialogue(ctx, store, question_timeout=None).reflect(ctx.clock())
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


def cmd_listen(ctx: Context) -> int:
    raise GlimmersError("'listen' is not built yet")


def cmd_devices(ctx: Context) -> int:
    raise GlimmersError("'devices' is not built yet")


def cmd_model(ctx: Context) -> int:
    raise GlimmersError("'model' is not built yet")


def cmd_doctor(ctx: Context) -> int:
    raise GlimmersError("'doctor' is not built yet")


def cmd_garden(ctx: Context) -> int:
    raise GlimmersError("'garden' is not built yet")


# --- parsing --------------------------------------------------------------


def _global_options(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    """--db, --now and -v are accepted before or after the command name."""
    default = argparse.SUPPRESS if suppress else None
    parser.add_argument("--db", type=Path, default=default, metavar="PATH",
                        help="the glimmer database file (default: in your data folder)")
    parser.add_argument("--now", default=default, metavar="ISO8601",
                        help="pretend it is this moment (for demos and tests)")
    parser.add_argument("-v", "--verbose", action="store_true",
                        default=argparse.SUPPRESS if suppress else False,
                        help="say more about what is happening")


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
    p.add_argument("--input", type=Path, metavar="FILE.wav", help="listen to a WAV file instead of the microphone")
    p.add_argument("--realtime", action="store_true", help="play --input at speaking speed")
    p.add_argument("--model", type=Path, metavar="DIR", help="the Vosk model folder to use")
    p.add_argument("--device", help="microphone to use (a number or part of a name; see 'devices')")
    p.add_argument("--wake-word", metavar="WORD", help="word that wakes the assistant, or 'none' to act on everything")
    p.add_argument("--no-speak", action="store_true", help="print replies instead of speaking them")
    p.add_argument("--speak-to", type=Path, metavar="FILE.wav", help="write spoken replies to a WAV file")
    p.add_argument("--events", metavar="FILE", help="write one JSON event per line to FILE ('-' for stdout)")

    p = command("add", cmd_add, "save a glimmer from the keyboard")
    p.add_argument("text", help="the glimmer, in your words")
    p.add_argument("--at", metavar="WHEN", help="when it happened (e.g. 'yesterday' or 2026-11-20T18:00)")

    p = command("list", cmd_list, "show glimmers (default: today)")
    p.add_argument("when", nargs="*", help="e.g. today, yesterday, 'this week', 'last month', all")
    p.add_argument("--json", action="store_true", help="print a JSON array")

    command("undo", cmd_undo, "bring back the glimmer deleted last")

    p = command("delete", cmd_delete, "delete one glimmer by its id (undo brings it back)")
    p.add_argument("id", help="the glimmer's id, as shown by 'list'")

    p = command("export", cmd_export, "write your glimmers as Markdown, CSV, JSON or a therapy summary")
    p.add_argument("--format", choices=["md", "csv", "json", "therapy"], default="md")
    p.add_argument("--when", metavar="RANGE", help="which days (default: all; therapy: the last 12 weeks)")
    p.add_argument("-o", "--output", type=Path, metavar="FILE", help="write here instead of to the screen")

    p = command("import", cmd_import, "add glimmers from a JSON or CSV export")
    p.add_argument("file", type=Path)

    p = command("understand", cmd_understand, "show how the assistant understands sentences")
    p.add_argument("text", nargs="*", help="a sentence (default: one per line from standard input)")
    p.add_argument("--json", action="store_true", help="one JSON object per line")

    p = command("chat", cmd_chat, "talk to the assistant by typing")
    p.add_argument("--speak", action="store_true", help="also speak the replies")

    p = command("reflect", cmd_reflect, "run the evening reflection once")
    p.add_argument("--speak", action="store_true", help="speak it aloud")
    p.add_argument("--to-wav", type=Path, metavar="FILE", help="write the spoken reflection to a WAV file")

    command("devices", cmd_devices, "list microphones and speakers")

    p = command("model", cmd_model, "list, download or locate speech models")
    p.add_argument("action", choices=["list", "download", "path"])
    p.add_argument("name", nargs="?", help="model name (default: vosk-model-small-en-us-0.15)")
    p.add_argument("--model", type=Path, metavar="DIR", help="a model folder to check")

    command("doctor", cmd_doctor, "check the model, microphone, speech output and database")

    p = command("garden", cmd_garden, "write your glimmer garden: one HTML page to look back with")
    p.add_argument("--when", metavar="RANGE", help="which days (default: the last 12 weeks)")
    p.add_argument("-o", "--output", type=Path, metavar="FILE.html")
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
