"""voice-glimmers: an offline voice companion for noticing and remembering glimmers."""

__version__ = "0.1.0"
APP_NAME = "voice-glimmers"
