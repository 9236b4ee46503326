"""The command line: parse arguments, run the command, report errors as one line.

The commands live at the edges, with the only code that opens real paths and
devices: keyboard.py (add, list, undo, delete, export, import, garden) and
assistant.py (chat, reflect, listen); the small device commands are here. A
command's module is imported only when it runs, so `--help` starts fast.
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
from voice_glimmers.app.settings import Settings, load_settings
from voice_glimmers.core.clock import Clock, PinnedClock, parse_moment, system_clock
from voice_glimmers.core.errors import GlimmersError

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class Context:
    """What every command gets: settings, the clock, and the parsed arguments."""

    settings: Settings
    clock: Clock
    args: argparse.Namespace

    def open_store(self):  # -> GlimmerStore
        from voice_glimmers.app.journal import open_store

        return open_store(self.settings, self.clock)


# --- commands -------------------------------------------------------------
# Each takes the Context and returns the process exit code.


def cmd_understand(ctx: Context) -> int:
    """Show what each utterance means: the words of TEXT as one, or one per stdin line."""
    import json

    from voice_glimmers.app.settings import intents_dir
    from voice_glimmers.core.clock import glimmer_day
    from voice_glimmers.understand.matcher import Intents, describe
    from voice_glimmers.understand.utterance import understand_said

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
        match = understand_said(
            line,
            intents,
            today=today,
            week_start=ctx.settings.week_start,
            wake_word=ctx.settings.wake_word,
        )
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


def cmd_devices(ctx: Context) -> int:
    from voice_glimmers.voice.audio import list_devices

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
    from voice_glimmers.voice import models

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
    from voice_glimmers.app.doctor import examine

    problems = 0
    for finding in examine(ctx.settings, ctx.clock, model=ctx.args.model, device=ctx.args.device):
        mark = "ok" if finding.ok else "needs care"
        print(f"{finding.part:>13}: {mark:<10}  {finding.message}", flush=True)
        problems += not finding.ok
    if problems:
        parts = "part needs" if problems == 1 else "parts need"
        print(f"\n{problems} {parts} care; each line says what to try.")
    return 1 if problems else 0


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

    def command(name: str, where: str, help: str) -> argparse.ArgumentParser:
        """A command; `where` is "module.function", imported only when it runs."""
        p = sub.add_parser(name, help=help, description=help)
        _global_options(p, suppress=True)
        p.set_defaults(func=where)
        return p

    p = command("listen", "assistant.cmd_listen", "listen hands-free for glimmers (the main job)")
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

    p = command("add", "journal.cmd_add", "save a glimmer from the keyboard")
    p.add_argument("text", help="the glimmer, in your words")
    p.add_argument(
        "--at",
        metavar="WHEN",
        help="when it happened: a moment like 2026-11-20T18:00, "
        "or a day like 'yesterday' or 2026-11-20 (a day means noon that day)",
    )

    p = command("list", "journal.cmd_list", "show glimmers (default: today)")
    p.add_argument("when", nargs="*", help="e.g. today, yesterday, 'this week', 'last month', all")
    p.add_argument("--json", action="store_true", help="print a JSON array")

    command("undo", "journal.cmd_undo", "bring back the glimmer deleted last")

    p = command(
        "delete", "journal.cmd_delete", "delete one glimmer by its id (undo brings it back)"
    )
    p.add_argument("id", help="the glimmer's id, as shown by 'list'")

    p = command(
        "export",
        "journal.cmd_export",
        "write your glimmers as Markdown, CSV, JSON or a therapy summary",
    )
    p.add_argument("--format", choices=["md", "csv", "json", "therapy"], default="md")
    p.add_argument(
        "--when", metavar="RANGE", help="which days (default: all; therapy: the last 12 weeks)"
    )
    p.add_argument(
        "-o", "--output", type=Path, metavar="FILE", help="write here instead of to the screen"
    )

    p = command("import", "journal.cmd_import", "add glimmers from a JSON or CSV export")
    p.add_argument("file", type=Path)

    p = command("understand", "cli.cmd_understand", "show how the assistant understands sentences")
    p.add_argument("text", nargs="*", help="a sentence (default: one per line from standard input)")
    p.add_argument("--json", action="store_true", help="one JSON object per line")

    p = command("chat", "assistant.cmd_chat", "talk to the assistant by typing")
    p.add_argument("--speak", action="store_true", help="also speak the replies")

    p = command("reflect", "assistant.cmd_reflect", "run the evening reflection once")
    p.add_argument("--speak", action="store_true", help="speak it aloud")
    p.add_argument(
        "--to-wav", type=Path, metavar="FILE", help="write the spoken reflection to a WAV file"
    )

    command("devices", "cli.cmd_devices", "list microphones and speakers")

    p = command("model", "cli.cmd_model", "list, download or locate speech models")
    p.add_argument("action", choices=["list", "download", "path"])
    p.add_argument("name", nargs="?", help="model name (default: vosk-model-small-en-us-0.15)")
    p.add_argument("--model", type=Path, metavar="DIR", help="a model folder to check")
    p.add_argument("--remote", action="store_true", help="list: also the models offered online")

    p = command(
        "doctor", "cli.cmd_doctor", "check the model, microphone, speech output and database"
    )
    p.add_argument("--model", type=Path, metavar="DIR", help="the Vosk model folder to check")
    p.add_argument("--device", help="the microphone to check")

    p = command(
        "garden",
        "journal.cmd_garden",
        "write your glimmer garden: one HTML page to look back with",
    )
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


def _command(where: str):
    """The function behind a command, from its module (imported now, not at start-up)."""
    from importlib import import_module

    module, name = where.rsplit(".", 1)
    return getattr(import_module(f"voice_glimmers.app.{module}"), name)


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
        return _command(args.func)(make_context(args))
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
