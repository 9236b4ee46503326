"""What can go wrong that a person can fix. Each message is one plain line."""


class GlimmersError(Exception):
    """Base of every error voice-glimmers reports to a person as one line."""


class InvalidText(GlimmersError):
    """A glimmer's text is empty, too long or holds characters that cannot be stored."""


class UnknownWhen(GlimmersError):
    """Time words that do not name a range of days."""


class StoreError(GlimmersError):
    """The glimmer database cannot be read or written."""


class StoreCorrupt(StoreError):
    """The database file cannot be parsed and no good backup could be restored."""


class StoreTooNew(StoreError):
    """The database was written by a newer version of voice-glimmers."""


class Refused(GlimmersError):
    """A path names a folder, a pipe, a device or a link where a file was wanted (said in
    one line; core.files.NotAFile is the disk's own error, before it is put in words)."""


class TooLarge(GlimmersError):
    """Input longer than voice-glimmers reads: a line, a file or a field."""


class NotFound(GlimmersError):
    """No glimmer with that id."""


class IntentFileError(GlimmersError):
    """An intent or phrase file under intents/ is malformed."""


class ModelNotFound(GlimmersError):
    """No Vosk speech model could be found."""


class ModelDownloadError(GlimmersError):
    """A speech model could not be downloaded or unpacked."""


class AudioDeviceError(GlimmersError):
    """A microphone or speaker cannot be opened or has gone away."""


class AudioFormatError(GlimmersError):
    """An audio file that cannot be read as speech."""


class SpeechOutputError(GlimmersError):
    """Speech could not be synthesised or played."""


class Changed(GlimmersError):
    """A glimmer was changed (elsewhere) since it was read, so a change asked about it is not
    made: the person is asked again."""
