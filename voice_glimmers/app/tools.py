"""The small commands that look at the machine and the language: understand, devices,
model and doctor. Each takes the Context and returns the process exit code."""

from __future__ import annotations

import os
import sys

from voice_glimmers.app.context import Context
from voice_glimmers.core.errors import GlimmersError


def cmd_understand(ctx: Context) -> int:
    """Show what each utterance means: the words of TEXT as one, or one per stdin line."""
    import json

    from voice_glimmers.app.lines import read_line
    from voice_glimmers.app.settings import intents_dir
    from voice_glimmers.core.clock import glimmer_day
    from voice_glimmers.core.errors import TooLarge
    from voice_glimmers.language.bundle import Language
    from voice_glimmers.understand.matcher import describe
    from voice_glimmers.understand.utterance import understand_said
    from voice_glimmers.understand.wake import WakeWord

    language = Language.from_dir(intents_dir() / ctx.settings.language)
    wake = WakeWord.of(ctx.settings.wake_word, language)

    def utterances():
        if ctx.args.text:
            yield " ".join(ctx.args.text)
            return
        while True:
            try:
                # bounded, and bytes: a line that is not UTF-8 cannot stop the rest
                line = read_line(getattr(sys.stdin, "buffer", sys.stdin))
            except TooLarge as err:
                print(f"voice-glimmers: {err}", file=sys.stderr)
                continue
            if line is None:
                return
            yield line

    for line in utterances():
        today = glimmer_day(ctx.clock(), ctx.settings.day_start_hour)
        # The same understanding the assistant acts on, wake word and all.
        match = understand_said(line, language.intents, wake, today=today,
                                week_start=ctx.settings.week_start)
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
    from voice_glimmers.voice.microphone import list_devices

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
    from voice_glimmers.app.assistant import DEFAULT_URI

    uri = ctx.args.uri or DEFAULT_URI
    for finding in examine(ctx.settings, ctx.clock, model=ctx.args.model, device=ctx.args.device,
                           uri=uri):
        mark = "ok" if finding.ok else "needs care"
        print(f"{finding.part:>13}: {mark:<10}  {finding.message}", flush=True)
        problems += not finding.ok
    if problems:
        parts = "part needs" if problems == 1 else "parts need"
        print(f"\n{problems} {parts} care; each line says what to try.")
    return 1 if problems else 0
