"""The command line: parse arguments, run the command, report errors as one line.

The commands live beside it: journal.py (add, list, undo, delete, export, import,
garden), assistant.py (chat, reflect, listen) and tools.py (understand, devices,
model, doctor). Each command module imports its heavy parts only when a command
runs, so `--help` starts fast.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from voice_glimmers import __version__
from voice_glimmers.app import assistant, journal, tools
from voice_glimmers.app.context import Context, make_context
from voice_glimmers.core.display import printable
from voice_glimmers.core.errors import GlimmersError

Command = Callable[[Context], int]

_LOGGER = logging.getLogger(__name__)


# --- parsing --------------------------------------------------------------


def _global_options(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    """--db, --now and -v are accepted before or after the command name."""
    default = argparse.SUPPRESS if suppress else None
    parser.add_argument(
        "--db",
        default=default,  # text: an empty --db "" is said, not taken as this folder
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

    def command(name: str, func: Command, help: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help)
        _global_options(p, suppress=True)
        p.set_defaults(func=func)
        return p

    p = command("listen", assistant.cmd_listen, "listen hands-free for glimmers (the main job)")
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

    p = command("add", journal.cmd_add, "save a glimmer from the keyboard")
    p.add_argument("text", help="the glimmer, in your words")
    p.add_argument(
        "--at",
        metavar="WHEN",
        help="when it happened: a moment like 2026-11-20T18:00, "
        "or a day like 'yesterday' or 2026-11-20 (a day means noon that day)",
    )

    p = command("list", journal.cmd_list, "show glimmers (default: today)")
    p.add_argument("when", nargs="*", help="e.g. today, yesterday, 'this week', 'last month', all")
    p.add_argument("--json", action="store_true", help="print a JSON array")

    command("undo", journal.cmd_undo, "bring back the glimmer deleted last")

    p = command(
        "delete", journal.cmd_delete, "delete one glimmer by its id (undo brings it back)"
    )
    p.add_argument("id", help="the glimmer's id, as shown by 'list'")

    p = command("edit", journal.cmd_edit, "put new words in one glimmer, by its id")
    p.add_argument("id", help="the glimmer's id, as shown by 'list'")
    p.add_argument("text", help="its words as they should be")

    p = command(
        "export",
        journal.cmd_export,
        "write your glimmers as Markdown, CSV, JSON or a therapy summary",
    )
    p.add_argument("--format", choices=["md", "csv", "json", "therapy"], default="md")
    p.add_argument(
        "--when", metavar="RANGE", help="which days (default: all; therapy: the last 12 weeks)"
    )
    p.add_argument(
        "-o", "--output", type=Path, metavar="FILE", help="write here instead of to the screen"
    )

    p = command("import", journal.cmd_import, "add glimmers from a JSON or CSV export")
    p.add_argument("file", type=Path)

    p = command("understand", tools.cmd_understand, "show how the assistant understands sentences")
    p.add_argument("text", nargs="*", help="a sentence (default: one per line from standard input)")
    p.add_argument("--json", action="store_true", help="one JSON object per line")

    p = command("serve", assistant.cmd_serve,
                "answer Home Assistant's voice satellites (a Wyoming service)")
    p.add_argument("--uri", metavar="tcp://HOST:PORT",
                   help="where to listen (default: tcp://127.0.0.1:10700, this computer only)")
    p.add_argument("--allow", action="append", metavar="ADDR",
                   help="only this address or network may connect (repeat for more)")
    p.add_argument("--zeroconf", action="store_true",
                   help="advertise the service on the local network (needs the zeroconf extra)")

    p = command("chat", assistant.cmd_chat, "talk to the assistant by typing")
    p.add_argument("--speak", action="store_true", help="also speak the replies")

    p = command("reflect", assistant.cmd_reflect, "run the evening reflection once")
    p.add_argument("--speak", action="store_true", help="speak it aloud")
    p.add_argument(
        "--to-wav", type=Path, metavar="FILE", help="write the spoken reflection to a WAV file"
    )

    command("devices", tools.cmd_devices, "list microphones and speakers")

    p = command("model", tools.cmd_model, "list, download or locate speech models")
    p.add_argument("action", choices=["list", "download", "path"])
    p.add_argument("name", nargs="?", help="model name (default: vosk-model-small-en-us-0.15)")
    p.add_argument("--model", type=Path, metavar="DIR", help="a model folder to check")
    p.add_argument("--remote", action="store_true", help="list: also the models offered online")

    p = command(
        "doctor", tools.cmd_doctor, "check the model, microphone, speech output and database"
    )
    p.add_argument("--model", type=Path, metavar="DIR", help="the Vosk model folder to check")
    p.add_argument("--device", help="the microphone to check")
    p.add_argument("--uri", metavar="tcp://HOST:PORT",
                   help="the port 'serve' uses, to check (default: tcp://127.0.0.1:10700)")

    p = command(
        "garden",
        journal.cmd_garden,
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
        print(f"voice-glimmers: {printable(str(err))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as err:  # the process edge: one line for a person, details with -v
        _LOGGER.debug("unexpected error", exc_info=True)
        print(
            "voice-glimmers: something unexpected went wrong "
            f"({type(err).__name__}: {printable(str(err))}). Run again with -v for details.",
            file=sys.stderr,
        )
        return 70
