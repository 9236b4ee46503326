"""The keyboard commands: add, list, undo, delete, export, import and garden.

Each `cmd_*` takes the command line's Context and returns the exit code. Around them:
opening the store for a command, reading WHEN words and --at moments, and writing or
reading the files a person names. No speech, no devices.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path

from voice_glimmers.app.context import Context, open_store
from voice_glimmers.core.clock import glimmer_day, parse_moment
from voice_glimmers.core.days import DateRange
from voice_glimmers.core.display import printable
from voice_glimmers.core.errors import GlimmersError, UnknownWhen

_LOGGER = logging.getLogger(__name__)

_ISO_DAYS = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:\s*(?:\.\.|to)\s*(\d{4}-\d{2}-\d{2}))?$")
_WHEN_HINT = "try today, yesterday, 'this week', 'last month', a date like 2026-11-20, or all"


def days_named(words: str, today: date, *, week_start: int = 0) -> DateRange:
    """The glimmer days that WHEN words name (or an ISO date, or FROM..TO); UnknownWhen if none."""
    text = " ".join(words.split()).lower()
    iso = _ISO_DAYS.match(text)
    if iso:
        try:
            start = date.fromisoformat(iso.group(1))
            end = date.fromisoformat(iso.group(2)) if iso.group(2) else start
        except ValueError:
            raise UnknownWhen(f"'{words}' is not a real date") from None
        if end < start:
            raise UnknownWhen(f"'{words}' ends before it starts")
        return DateRange(start, end)
    from voice_glimmers.understand.when import resolve_when

    found = resolve_when(text, today, week_start=week_start) if text else None
    if found is None:
        raise UnknownWhen(f"'{words}' is not a day or range of days I know; {_WHEN_HINT}")
    return found


def moment_at(
    text: str, now: datetime, *, day_start_hour: int = 4, week_start: int = 0
) -> datetime:
    """When an `add --at` glimmer happened.

    An ISO 8601 moment is taken as it is. A day (a word like 'yesterday' or a
    date like 2026-11-20) means noon of that day; today, noon or now, whichever
    came first. A day still to come is refused, like a moment still to come.
    """
    today = glimmer_day(now, day_start_hour)
    is_moment = re.search(r"\d[T ]\d", text.strip()) is not None
    if not is_moment:
        span = days_named(text, today, week_start=week_start)
        if span.start != span.end:
            raise UnknownWhen(
                f"'{text}' is more than one day; for --at give one day or a moment, "
                "e.g. yesterday or 2026-11-20T18:00"
            )
        if span.start > today:
            raise UnknownWhen(f"'{text}' has not happened yet; a glimmer is a moment already lived")
        moment = datetime.combine(span.start, time(12), tzinfo=now.tzinfo)
        if span.start == today:
            moment = min(moment, now)
    else:
        try:
            moment = parse_moment(text)
        except GlimmersError:
            raise UnknownWhen(
                f"'{text}' is not a moment I understand; try e.g. 2026-11-20T18:00 or yesterday"
            ) from None
    if moment - timedelta(minutes=1) > now:
        raise UnknownWhen(f"'{text}' has not happened yet; a glimmer is a moment already lived")
    return moment


def write_file(path: Path, text: str) -> Path:
    """Write `text` to `path` all at once (created private, 0600); returns the full path.

    Only a regular file is replaced: a folder, a named pipe, a device or a link named
    here is refused in one line and left as it is.
    """
    from voice_glimmers.core.files import describe_os_error, refuse_special, write_atomically

    path = path.expanduser().absolute()
    refuse_special(path, writing=True)
    try:
        os.close(write_atomically(path, text.encode("utf-8")))
    except OSError as err:
        raise GlimmersError(f"Cannot write {path}: {describe_os_error(err)}") from None
    return path


def to_screen(path: Path | None) -> bool:
    """-o names the screen: none given, or '-'."""
    return path is None or str(path) == "-"


def write_output(text: str, path: Path | None) -> None:
    """To stdout (no path, or '-'), or to `path` atomically (created private, 0600)."""
    if path is None or to_screen(path):
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    write_file(path, text)


# A JSON export of 100,000 glimmers of a line each is about 27 MB (CSV 13 MB); a file
# larger than this is no export, and is refused before it is read.
MAX_IMPORT_BYTES = 32 * 2**20


def read_input(path: Path) -> str:
    """The text of a file to import: a regular file (a pipe or a device is refused at
    once, never waited on or read without end) of at most MAX_IMPORT_BYTES."""
    from voice_glimmers.core.files import FileTooLarge, NotAFile, describe_os_error, read_file

    try:
        raw = read_file(path.expanduser(), limit=MAX_IMPORT_BYTES, follow_links=True)
        if raw is None:
            raise FileNotFoundError(2, "No such file or directory", str(path))
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise GlimmersError(f"{path} is not UTF-8 text") from None
    except NotAFile as err:
        raise GlimmersError(f"{err}; import reads a JSON or CSV export") from None
    except FileTooLarge:
        raise GlimmersError(f"{path} is larger than {MAX_IMPORT_BYTES // 2**20} MB, far more "
                            "than an export of glimmers; nothing was imported") from None
    except OSError as err:
        problem = describe_os_error(err, missing="there is no such file")
        raise GlimmersError(f"Cannot read {path}: {problem}") from None


# --- commands -------------------------------------------------------------


def cmd_add(ctx: Context) -> int:
    """Save one glimmer typed on the command line."""
    from voice_glimmers.core.days import long_date
    from voice_glimmers.core.glimmer import validate_text

    s = ctx.settings
    now = ctx.clock()
    text = validate_text(ctx.args.text)
    at = now
    if ctx.args.at:
        at = moment_at(ctx.args.at, now, day_start_hour=s.day_start_hour, week_start=s.week_start)
    else:  # its own time words date it, as when it is said: "yesterday evening, ..."
        from voice_glimmers.core.clock import glimmer_day
        from voice_glimmers.understand.moment import date_of_words

        dated = date_of_words(text, now, glimmer_day(now, s.day_start_hour))
        at = dated.at if dated else now
    refused, tags = _screened(text, s)
    if refused:
        print(f"voice-glimmers: {printable(refused)}", file=sys.stderr)
        return 1
    with open_store(s, ctx.clock) as store:
        glimmer = store.add(text, at=at, source="text", tags=tags)
        today = store.day_of(now)
    when = "" if glimmer.day == today else f" for {long_date(glimmer.day)}"
    print(f"Saved{when} (id {glimmer.id}): {printable(glimmer.text)}")
    return 0


def _screened(text: str, settings,
              editing: int | None = None) -> tuple[str | None, tuple[str, ...]]:
    """What the conversation's screen and tags make of words to keep: why they are not
    kept (one line, see _refusal) or None, and their senses. A broken language file never
    stops a save: it is logged, and the words are kept untagged."""
    try:
        from voice_glimmers.app.context import load_screen, load_senses
        from voice_glimmers.understand.tags import tags_of

        language, screen = load_screen(settings)
    except GlimmersError as err:
        _LOGGER.warning("keeping words without the screen or tags: %s", err)
        return None, ()
    refused = _refusal(screen.judge(text).content, settings.crisis_message, editing)
    return refused, () if refused else tags_of(text, language.tags, load_senses(language))


def _refusal(content, crisis_message: str, editing: int | None = None) -> str | None:
    """Why words the screen found `content` are not kept as a glimmer (one line), or None
    to keep them. `editing`: the id of the glimmer they were to go in, which stays as it was."""
    from voice_glimmers.understand.screen import Content

    if content is Content.DANGER:
        kept = f"(Glimmer {editing} is unchanged.)" if editing else "(Not saved as a glimmer.)"
        return f"{crisis_message} {kept}"
    if content is Content.HARD and editing:
        return (f"That sounds hard. I haven't put those words in glimmer {editing}; "
                "it's unchanged.")
    if content is Content.HARD:
        return ("That sounds hard. I haven't saved it as a glimmer; this will be here "
                "whenever you want it.")
    return None


def _set_aside(settings, glimmers: list) -> frozenset[int]:
    """The ids of the glimmers today's screen sets aside: kept, never read back."""
    from voice_glimmers.app.context import load_screen

    _, screen = load_screen(settings)
    readable = screen.readable_of([g.text for g in glimmers])
    return frozenset(g.id for g, ok in zip(glimmers, readable, strict=True) if not ok)


def cmd_list(ctx: Context) -> int:
    """Glimmers of a day or range of days, grouped by day (default: today)."""
    from voice_glimmers.core.clock import glimmer_day
    from voice_glimmers.core.days import long_date
    from voice_glimmers.views.formats import to_json, to_listing

    s = ctx.settings
    words = " ".join(ctx.args.when).strip() or "today"
    today = glimmer_day(ctx.clock(), s.day_start_hour)
    span = days_named(words, today, week_start=s.week_start)
    with open_store(s, ctx.clock, create=False) as store:
        glimmers = store.all() if span.is_everything else store.between(span.start, span.end)
        glimmers = [g for g in glimmers if span.holds(g.created_at, g.day)]  # "yesterday morning"
    if ctx.args.json:
        sys.stdout.write(to_json(glimmers))
    elif glimmers:
        sys.stdout.write(to_listing(glimmers, _set_aside(s, glimmers)))
    elif span.is_everything:
        print("No glimmers saved yet. Whenever one comes along, it will be kept here.")
    elif span.start == span.end == today and not span.part:
        print("Nothing saved today, and that's alright.")
    else:
        # Their own words when they used words; a date is said as a day.
        when = words
        if words[:1].isdigit():
            when = f"on {long_date(span.start)}"
            if span.end != span.start:
                when = f"from {long_date(span.start)} to {long_date(span.end)}"
        elif words.startswith("the "):
            when = f"in {words}"
        elif span.start.day == 1 and words.isalpha() and words == f"{span.start:%B}".lower():
            when = f"in {span.start:%B}"  # "november"
        elif span.start == span.end and words[:3] == f"{span.start:%b}".lower():
            when = f"on {long_date(span.start)}"  # "nov 20"
        print(f"Nothing saved {when}, and that's alright.")
    return 0


def cmd_undo(ctx: Context) -> int:
    """Bring back the glimmer deleted last."""

    with open_store(ctx.settings, ctx.clock) as store:
        restored = store.undo()
    if restored is None:
        print("There is nothing deleted to bring back.")
    else:
        print(f"Brought back (id {restored.id}): {printable(restored.text)}")
    return 0


def _glimmer_id(given: str) -> int:
    """The id typed on the command line; NotFound (one line) when it is not a number."""
    from voice_glimmers.core.errors import NotFound

    if not (given.isascii() and given.strip().isdigit()):
        raise NotFound(f"'{given}' is not a glimmer id; 'voice-glimmers list' shows them")
    return int(given)


def cmd_delete(ctx: Context) -> int:
    """Delete one glimmer by id; undo brings it back."""
    glimmer_id = _glimmer_id(ctx.args.id)
    with open_store(ctx.settings, ctx.clock) as store:
        deleted = store.delete(glimmer_id, at=ctx.clock())
    print(f"Deleted (id {deleted.id}): {printable(deleted.text)}")
    print("'voice-glimmers undo' brings it back if you'd like it.")
    return 0


def cmd_edit(ctx: Context) -> int:
    """New words for one glimmer, by id; its moment stays, its senses are tagged again."""
    from voice_glimmers.core.errors import NotFound
    from voice_glimmers.core.glimmer import validate_text

    glimmer_id = _glimmer_id(ctx.args.id)
    s = ctx.settings
    text = validate_text(ctx.args.text)
    refused, new_senses = _screened(text, s, editing=glimmer_id)
    if refused:
        print(printable(refused), file=sys.stderr)
        return 1
    with open_store(s, ctx.clock, create=False) as store:
        old = store.get(glimmer_id)
        if old is None:
            raise NotFound(f"There is no glimmer with id {glimmer_id}")
        # every tag it has stays (a tag of their own may have a sense's name); the senses
        # of the new words are added
        changed = store.change(glimmer_id, text=text, expect=old.text,
                               tags=lambda had: tuple(dict.fromkeys((*had, *new_senses))))
    print(f"Changed (id {changed.id}): {printable(changed.text)}")
    print(f"It said: {printable(old.text)}")
    return 0


def cmd_export(ctx: Context) -> int:
    """Glimmers as Markdown, CSV or JSON, to the screen or a file."""
    if ctx.args.format == "therapy":
        return _export_therapy(ctx)
    from voice_glimmers.core.clock import glimmer_day
    from voice_glimmers.views.formats import to_csv, to_json, to_markdown

    s = ctx.settings
    span = None
    if ctx.args.when:
        today = glimmer_day(ctx.clock(), s.day_start_hour)
        span = days_named(ctx.args.when, today, week_start=s.week_start)
    with open_store(s, ctx.clock, create=False) as store:
        if span is None or span.is_everything:
            glimmers = store.all()
        else:
            glimmers = [g for g in store.between(span.start, span.end)
                        if span.holds(g.created_at, g.day)]  # "yesterday morning": only it
    write = {"md": to_markdown, "csv": to_csv, "json": to_json}[ctx.args.format]
    write_output(write(glimmers), ctx.args.output)
    if not to_screen(ctx.args.output):
        print(f"Wrote your glimmers to {ctx.args.output}", file=sys.stderr)
    return 0


def cmd_import(ctx: Context) -> int:
    """Glimmers from a JSON or CSV export; ones already here are skipped."""
    from voice_glimmers.app.context import load_screen
    from voice_glimmers.views.formats import read_glimmers

    s = ctx.settings
    path = ctx.args.file
    glimmers = read_glimmers(read_input(path), name=str(path), day_start_hour=s.day_start_hour,
                             now=ctx.clock())
    _, screen = load_screen(s)
    # Words of danger or a hard feeling are not brought in; the file is left as it is, and
    # nothing of theirs is echoed here.
    verdicts = screen.judge_all([g.text for g in glimmers])
    kept = [g for g, v in zip(glimmers, verdicts, strict=True)
            if _refusal(v.content, s.crisis_message) is None]
    aside = len(glimmers) - len(kept)
    with open_store(s, ctx.clock) as store:
        added = store.import_glimmers(kept)
    already = len(kept) - added
    line = f"Added {added} glimmer{'' if added == 1 else 's'} from {path}"
    if already:
        line += f"; {already} {'was' if already == 1 else 'were'} already here"
    if aside:
        line += (f"; {aside} that sounded painful {'stays' if aside == 1 else 'stay'} "
                 f"only in {path.name}, not in your glimmers")
    print(printable(line + "."))
    return 0


def _look_back(ctx: Context):  # -> (glimmers, start, end, today)
    """What the therapy summary and the garden look back over: the glimmers of the
    days --when names (default: the last 12 weeks), that range from the first one
    kept, and today."""
    from voice_glimmers.core.errors import UnknownWhen
    from voice_glimmers.views.summary import look_back_range, narrow_range

    with ctx.open_store(create=False) as store:
        today = store.day_of(ctx.clock())
        span = look_back_range(ctx.args.when, today, week_start=ctx.settings.week_start)
        if span is None:
            raise UnknownWhen(
                f"'{ctx.args.when}' does not name days I know; try 'this month', "
                "'last month', 'the last 4 weeks' or 'all'"
            )
        glimmers = store.between(*span)
    asked = bool(ctx.args.when and ctx.args.when.strip())
    start, end = narrow_range(glimmers, *span, from_first=not asked)
    # Only what reads as a glimmer is looked back on; the rest stays in the file, set aside.
    aside = _set_aside(ctx.settings, glimmers)
    return [g for g in glimmers if g.id not in aside], start, end, today


def _export_therapy(ctx: Context) -> int:
    """The therapy summary: Markdown of the chosen days (default: the last 12 weeks)."""
    from voice_glimmers.views.summary import therapy_markdown

    glimmers, start, end, today = _look_back(ctx)
    text = therapy_markdown(glimmers, start, end, today=today)
    if to_screen(ctx.args.output):
        write_output(text, None)
        return 0
    path = write_file(ctx.args.output, text)
    print(f"Your therapy summary is at {path}")
    return 0


def cmd_garden(ctx: Context) -> int:
    """Write the glimmer garden page (default ./glimmer-garden.html) and maybe open it."""
    from voice_glimmers.views.garden import DEFAULT_FILENAME, render_garden

    glimmers, start, end, today = _look_back(ctx)
    page = render_garden(glimmers, start, end, today=today, week_start=ctx.settings.week_start)
    path = write_file(ctx.args.output or Path(DEFAULT_FILENAME), page)
    print(f"Your glimmer garden is at {path}")
    if ctx.args.open:
        import webbrowser

        if not webbrowser.open(path.as_uri()):
            print(
                "voice-glimmers: no browser would open; the page is there to open yourself.",
                file=sys.stderr,
            )
    return 0
