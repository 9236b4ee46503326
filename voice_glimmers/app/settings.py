"""Settings: a TOML file in the user config folder, environment overrides, and paths.

Everything here is plain data; nothing opens a device or the database.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import time
from pathlib import Path
from typing import Any

from voice_glimmers import APP_NAME
from voice_glimmers.core.errors import GlimmersError

MAX_WAIT_SECONDS = 3600.0
"""The longest follow_up_seconds or question_timeout_seconds: an hour is already far more
than a conversation waits."""

MIN_SILENCE_SECONDS = 0.1
MAX_SHORT_SILENCE_SECONDS = 5.0
MAX_LONG_SILENCE_SECONDS = 10.0
"""The silences that end a turn: from a tenth of a second (the detector's own judgement
takes about that) to a wait longer than anyone would want."""
MAX_PAUSE_SECONDS = 30.0
"""The longest reflection_pause_seconds: past half a minute, a pause reads as a silence
that has lost its way."""

MAX_SETTINGS_BYTES = 1_000_000
"""The largest settings file read (a full one is about 1 kB)."""

DEFAULT_CRISIS_MESSAGE = (
    "I'm really glad you told me. You don't have to carry this alone. "
    "Please reach out to someone now: a person you trust, a crisis line, "
    "or your local emergency number."
)


def user_data_dir() -> Path:
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False)


def user_cache_dir() -> Path:
    from platformdirs import user_cache_path

    return user_cache_path(APP_NAME, appauthor=False)


def user_config_file() -> Path:
    from platformdirs import user_config_path

    return user_config_path(APP_NAME, appauthor=False) / "config.toml"


def intents_dir(env: Mapping[str, str] | None = None) -> Path:
    """The folder of language folders (en/, ...): VOICE_GLIMMERS_INTENTS, for someone
    writing a new language, or else the one that ships with voice-glimmers."""
    from voice_glimmers.language.datafile import packaged_intents

    env = os.environ if env is None else env
    named = env.get("VOICE_GLIMMERS_INTENTS")
    return Path(named).expanduser() if named else packaged_intents()


@dataclass(frozen=True)
class Settings:
    """Every knob a person may turn. Loaded once, then passed around; never global."""

    db_path: Path = field(default_factory=lambda: user_data_dir() / "glimmers.json")
    language: str = "en"
    day_start_hour: int = 4
    week_start: int = 0  # 0 = Monday ... 6 = Sunday
    wake_word: str | None = "glimmer"
    follow_up_seconds: float = 6.0
    question_timeout_seconds: float = 20.0
    # A finished request or answer ends after this much silence (Home Assistant's
    # "aggressive"); a glimmer being told may pause this long and go on (1 s: Vosk's own
    # rule 3 with the Korean model, so a capture ends about when Vosk alone would end it).
    short_silence_seconds: float = 0.25
    long_silence_seconds: float = 1.0
    reflection_time: time | None = time(20, 30)
    reflection_pause_seconds: float = 4.0  # the quiet after "Stay with that for a moment."
    speech_rate: int | None = None
    speech_voice: str | None = None
    speech_volume: float | None = None
    model_path: Path | None = None
    crisis_message: str = DEFAULT_CRISIS_MESSAGE
    satellite_read_backs: bool = True  # serve: may satellites read glimmers aloud?

    def __post_init__(self) -> None:
        """A value out of range is one plain line naming the setting."""
        problem = None
        if not 0 <= self.day_start_hour <= 23:
            problem = f"day_start_hour should be an hour from 0 to 23, not {self.day_start_hour}"
        elif not 0 <= self.week_start <= 6:
            problem = (
                f"week_start should be from 0 (Monday) to 6 (Sunday), not {self.week_start}"
            )
        elif not 0 <= self.follow_up_seconds <= MAX_WAIT_SECONDS:  # nan and inf fail too
            problem = (f"follow_up_seconds should be from 0 to {MAX_WAIT_SECONDS:.0f} seconds, "
                       f"not {self.follow_up_seconds}")
        elif not 0 <= self.question_timeout_seconds <= MAX_WAIT_SECONDS:
            problem = (f"question_timeout_seconds should be from 0 to {MAX_WAIT_SECONDS:.0f} "
                       f"seconds, not {self.question_timeout_seconds}")
        elif not MIN_SILENCE_SECONDS <= self.short_silence_seconds <= MAX_SHORT_SILENCE_SECONDS:
            problem = (f"short_silence_seconds should be from {MIN_SILENCE_SECONDS} to "
                       f"{MAX_SHORT_SILENCE_SECONDS:.0f} seconds, "
                       f"not {self.short_silence_seconds}")
        elif not (self.short_silence_seconds <= self.long_silence_seconds
                  <= MAX_LONG_SILENCE_SECONDS):
            problem = (f"long_silence_seconds should be from short_silence_seconds "
                       f"({self.short_silence_seconds}) to {MAX_LONG_SILENCE_SECONDS:.0f} "
                       f"seconds, not {self.long_silence_seconds}")
        elif not 0 <= self.reflection_pause_seconds <= MAX_PAUSE_SECONDS:
            problem = (f"reflection_pause_seconds should be from 0 to {MAX_PAUSE_SECONDS:.0f} "
                       f"seconds, not {self.reflection_pause_seconds}")
        elif self.speech_rate is not None and not 20 <= self.speech_rate <= 600:
            problem = (
                f"speech_rate should be from 20 to 600 words a minute, not {self.speech_rate}"
            )
        elif self.speech_volume is not None and not 0.0 <= self.speech_volume <= 1.0:
            problem = f"speech_volume should be from 0.0 to 1.0, not {self.speech_volume}"
        elif self.wake_word is not None and not self.wake_word.strip():
            problem = "wake_word should be a word, or 'none' to act on everything"
        elif not self.crisis_message.strip():
            problem = ("crisis_message is empty; remove it to use the general message, "
                       "or write one that names your local crisis line")
        if problem:
            raise GlimmersError(f"The setting {problem}")

    def with_overrides(self, **changes: Any) -> Settings:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def _coerce(name: str, value: Any) -> Any:
    """Turn a TOML or environment value into the type the setting needs."""
    if name == "db_path" and not str(value).strip():
        raise GlimmersError("The setting db_path (VOICE_GLIMMERS_DB) is empty; give it a file "
                            "name, or leave it out to keep glimmers in the usual place")
    if name in ("db_path", "model_path"):
        return Path(os.path.expanduser(str(value))) if value not in (None, "") else None
    if name == "reflection_time":
        if value in (None, "", False, "off", "none"):
            return None
        if isinstance(value, time):
            return value
        try:
            return time.fromisoformat(str(value))
        except ValueError:
            raise GlimmersError(
                f"reflection_time '{value}' should look like 20:30, or 'off'"
            ) from None
    if name == "wake_word":
        return parse_wake_word(str(value))
    if name == "satellite_read_backs":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text not in ("true", "false", "yes", "no", "on", "off", "1", "0"):
            raise ValueError(value)
        return text in ("true", "yes", "on", "1")
    if name in ("day_start_hour", "week_start", "speech_rate"):
        return int(value)
    if name in ("follow_up_seconds", "question_timeout_seconds", "speech_volume",
                "short_silence_seconds", "long_silence_seconds",
                "reflection_pause_seconds"):
        return float(value)
    return str(value)


def parse_wake_word(text: str) -> str | None:
    """The wake word as given (lower case), or None for 'none' or 'off': act on everything.

    Empty stays empty, and the settings check refuses it: acting on everything is said
    in words, never by leaving the word out.
    """
    text = text.strip().lower()
    return None if text in ("none", "off") else text


def _read_settings_file(path: Path, *, named: bool) -> dict[str, Any]:
    """The settings in `path` ({} when there is no such file and none was named)."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    from voice_glimmers.core.files import describe_os_error, read_regular_file

    try:
        raw = read_regular_file(path, MAX_SETTINGS_BYTES)
    except (FileNotFoundError, NotADirectoryError):
        if named:
            raise GlimmersError(f"The settings file {path} does not exist") from None
        return {}
    except OSError as err:
        raise GlimmersError(
            f"The settings file {path} could not be read: {describe_os_error(err)}"
        ) from None
    except GlimmersError as err:  # a pipe, a device or a folder in its place, or too large
        raise type(err)(f"The settings file {err}") from None
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise GlimmersError(
            f"The settings file {path} is not text; it should be TOML, as in the README"
        ) from None
    except tomllib.TOMLDecodeError as err:
        raise GlimmersError(f"The settings file {path} could not be read: {err}") from None


def load_settings(
    env: Mapping[str, str] | None = None, config_file: Path | None = None
) -> Settings:
    """Defaults, then the config file, then VOICE_GLIMMERS_* environment variables."""
    env = os.environ if env is None else env
    named = config_file or env.get("VOICE_GLIMMERS_CONFIG")
    path = Path(named) if named else user_config_file()
    values = _read_settings_file(path, named=bool(named))
    names = {f.name for f in fields(Settings)}
    unknown = sorted(set(values) - names)
    if unknown:
        raise GlimmersError(f"The settings file {path} has unknown settings: {', '.join(unknown)}")
    for name in names:
        key = "VOICE_GLIMMERS_" + (
            "DB" if name == "db_path" else "MODEL" if name == "model_path" else name.upper()
        )
        if key in env:
            values[name] = env[key]
    coerced = {}
    for name, value in values.items():
        if name in ("wake_word", "crisis_message", "language", "speech_voice", "db_path",
                    "model_path") and not isinstance(value, str):
            raise GlimmersError(f"The setting {name} should be text in quotes, not {value!r}")
        try:
            coerced[name] = _coerce(name, value)
        except (TypeError, ValueError):
            raise GlimmersError(f"The setting {name} has a value I cannot use: {value!r}") from None
    return Settings(**coerced)
