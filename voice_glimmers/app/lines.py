"""Lines typed or piped in (`chat`, `understand`), read with a bound.

Whatever arrives on standard input, a line is held only up to MAX_LINE characters:
a longer one is read on to its end in small pieces, let go, and said in one line, so
a 50 MB line costs a moment and a little memory, never minutes and gigabytes.
"""

from __future__ import annotations

from typing import IO, Any

from voice_glimmers.core.errors import TooLarge

MAX_LINE = 4000
"""The longest line read: a spoken sentence is a few hundred characters, a glimmer at most
2,000 (core.glimmer.MAX_TEXT_LENGTH), with room for the words around it."""


def line_too_long(limit: int = MAX_LINE) -> TooLarge:
    return TooLarge(f"That line is longer than {limit:,} characters, so I let it go")


def read_line(stream: IO[Any], limit: int = MAX_LINE) -> str | None:
    """The next line of `stream` (bytes, as sys.stdin.buffer, or text) without its line
    ending, or None at its end.

    A line longer than `limit` characters raises TooLarge once it has been read to its
    end (the next call reads the line after it). Bytes that are not UTF-8 become U+FFFD,
    so one such line cannot stop the rest.
    """
    cap = 4 * limit + 2  # UTF-8 holds a character in at most 4 bytes; and "\r\n"
    raw = stream.readline(cap)
    if not raw:
        return None
    newline = b"\n" if isinstance(raw, bytes) else "\n"
    if len(raw) == cap and not raw.endswith(newline):
        while (piece := stream.readline(1 << 16)) and not piece.endswith(newline):
            pass
        raise line_too_long(limit)
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    text = text.rstrip("\r\n")
    if len(text) > limit:
        raise line_too_long(limit)
    return text
