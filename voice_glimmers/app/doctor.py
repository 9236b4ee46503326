"""`voice-glimmers doctor`: check each part a person needs, and say how to fix what is wrong."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from voice_glimmers.app.settings import Settings, intents_dir
from voice_glimmers.core.clock import Clock, system_clock
from voice_glimmers.core.errors import GlimmersError

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class Finding:
    part: str
    ok: bool
    message: str


def _check(part: str, probe: Callable[[], str]) -> Finding:
    try:
        return Finding(part, True, probe())
    except GlimmersError as err:
        return Finding(part, False, str(err))
    except Exception as err:  # a check must never crash the doctor
        _LOGGER.debug("%s check failed", part, exc_info=True)
        return Finding(part, False, f"{type(err).__name__}: {err}")


def check_database(settings: Settings, clock: Clock) -> str:
    """Whether the database reads, how many glimmers it holds, and who else can read them:
    the file, its backups and set-aside copies, and the folder they are in."""
    from voice_glimmers.store.dbfile import chmod_command, exposed
    from voice_glimmers.store.glimmer_store import GlimmerStore

    path = settings.db_path
    # A set-aside file is named by the system clock, never a pinned --now (as for every command).
    store = GlimmerStore.open(path, day_start_hour=settings.day_start_hour, clock=system_clock,
                              create=False)
    try:
        if not os.path.lexists(store.path or path):
            return f"no glimmers yet; they will be kept in {path}"
        count = len(store.all())
        notes = " ".join(store.notices)
        damaged = bool(store.damaged)
    finally:
        store.close()
    if damaged:
        raise GlimmersError(notes)
    glimmers = f"{count} glimmer{'s' if count != 1 else ''}"
    # Files still open to others are in the notes already, with the command that closes them.
    files, folder = exposed(store.path or path)
    if folder is not None:
        text = (f"{path} reads cleanly ({glimmers}; others can look into {folder} and see "
                f"its file names: run {chmod_command([folder], '700')})")
    elif files:
        text = f"{path} reads cleanly ({glimmers})"
    else:
        text = f"{path} reads cleanly ({glimmers}, readable only by you)"
    return f"{text}. {notes}" if notes else text


def check_language(settings: Settings) -> str:
    from voice_glimmers.language.bundle import Language

    folder = intents_dir() / settings.language
    Language.from_dir(folder)
    return f"sentences and replies load from {folder}"


def check_model(settings: Settings, explicit: Path | None) -> str:
    from voice_glimmers.voice.models import DEFAULT_MODEL, model_language, resolve_model

    path = resolve_model(explicit, settings, os.environ)
    language = model_language(path)
    if language and language != settings.language:
        raise GlimmersError(
            f"the only model found ({path}) is for '{language}', not '{settings.language}'; "
            f"run 'voice-glimmers model download' to get {DEFAULT_MODEL}"
        )
    return str(path)


def check_wake_word(settings: Settings, explicit: Path | None) -> str:
    """Whether the speech model knows the wake word (a word it does not know is never
    heard)."""
    from voice_glimmers.app.assistant import wake_word_unheard
    from voice_glimmers.language.bundle import Language
    from voice_glimmers.voice.models import resolve_model
    from voice_glimmers.voice.transcriber import VoskTranscriber

    if not settings.wake_word:
        return "none is set: everything heard is for the assistant"
    template = Language.from_dir(intents_dir() / settings.language).intents.wake_word
    transcriber = VoskTranscriber(resolve_model(explicit, settings, os.environ))
    unheard = wake_word_unheard(settings.wake_word, transcriber, template)
    if unheard:
        raise GlimmersError(unheard)
    return f"the speech model knows '{settings.wake_word}'"


def check_microphone(device: str | None) -> str:
    from voice_glimmers.voice.microphone import MicSource, find_input_device, list_devices

    chosen = find_input_device(device, list_devices())
    source = MicSource(device if device is not None else chosen.index)
    heard = 0
    deadline = time.monotonic() + 1.0
    try:
        for frame in source.frames():
            heard += len(frame)
            if time.monotonic() > deadline:
                break
    finally:
        source.close()
    if heard == 0:
        raise GlimmersError(f"'{chosen.name}' opened but sent no sound; check it is not muted")
    return f"'{chosen.name}' is sending sound"


def check_speech() -> str:
    from voice_glimmers.voice.microphone import list_devices
    from voice_glimmers.voice.speakers import synthesize

    speech = synthesize("Hello.")
    if speech.seconds <= 0.1:
        raise GlimmersError("espeak-ng made no sound; reinstall espeak-ng")
    outputs = [d for d in list_devices() if d.max_output_channels > 0]
    if not outputs:
        raise GlimmersError("speech works but there is no speaker to play it on; "
                            "use 'listen --no-speak' or '--speak-to FILE.wav'")
    default = next((d for d in outputs if d.is_default_output), outputs[0])
    return f"espeak-ng speaks, and replies will play on '{default.name}'"


def check_screen(settings: Settings) -> str:
    """The screen that keeps danger and hard feelings out of the glimmers."""
    from voice_glimmers.encoder.likeness import fingerprint, read_trained
    from voice_glimmers.encoder.minilm import EncoderMissing, model_folder
    from voice_glimmers.language.bundle import Language

    signs = Language.from_dir(intents_dir() / settings.language).signs
    if not signs.examples:
        raise GlimmersError(f"no labelled examples for '{settings.language}' (screen/*.yaml); "
                            "only the phrase lists screen what is said")
    try:
        model_folder()
    except EncoderMissing as err:
        raise GlimmersError(f"{err}; until then only the phrase lists screen what is said") \
            from None
    count = sum(len(texts) for texts in signs.examples.values())
    kinds = sum(1 for texts in signs.examples.values() if texts)
    trained = read_trained(signs.trained, kinds) if signs.trained else None
    if trained is not None and trained.fingerprint == fingerprint(signs.examples):
        shipped = "shipped trained" + (", the encoder tuned to them" if trained.adapters else "")
    else:
        shipped = "trained at the first start (screen.npz was made for other examples)"
    return f"the sentence model is installed; {count} labelled examples, {shipped}"


def check_crisis_message(settings: Settings) -> str:
    from voice_glimmers.app.settings import DEFAULT_CRISIS_MESSAGE, user_config_file

    if settings.crisis_message == DEFAULT_CRISIS_MESSAGE:
        raise GlimmersError("none is set, so words of danger get only the general message; "
                            "put your local crisis line, its name and number, in "
                            f"crisis_message in {user_config_file()}")
    return "your own message is used"


def check_serve(uri: str) -> str:
    """The Wyoming service's port: free for `serve`, or answered by it."""
    from voice_glimmers.app.assistant import serve_address
    from voice_glimmers.serve.service import probe

    return probe(*serve_address(uri))


def examine(settings: Settings, clock: Clock, *, model: Path | None = None,
            device: str | None = None, uri: str | None = None) -> Iterator[Finding]:
    yield _check("database", lambda: check_database(settings, clock))
    yield _check("language", lambda: check_language(settings))
    yield _check("speech model", lambda: check_model(settings, model))
    yield _check("wake word", lambda: check_wake_word(settings, model))
    yield _check("microphone", lambda: check_microphone(device))
    yield _check("speech out", check_speech)
    yield _check("screen", lambda: check_screen(settings))
    yield _check("crisis line", lambda: check_crisis_message(settings))
    if uri is not None:
        yield _check("serve", lambda: check_serve(uri))
