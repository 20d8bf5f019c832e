"""Text from a submission made safe to write anywhere: valid UTF-8, bounded, escaped.

Whatever crosses from the sandbox (printed text, error messages, names) may hold lone
surrogates, control characters or megabytes; none of it may stop a report being written.
"""

from __future__ import annotations

import re

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def valid(text: object, limit: int) -> str:
    """str(text), at most `limit` characters, lone surrogates written as ``\\udxxx``."""
    text = text if isinstance(text, str) else ""
    text = text[:limit]
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def excerpt(text: object, limit: int = 60) -> str:
    """An excerpt to quote in feedback: one line, ASCII, escaped, cut to `limit`."""
    text = text if isinstance(text, str) else repr(text)
    text = text[: limit * 2].encode("ascii", "backslashreplace").decode("ascii")
    text = CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text.replace("\n", "\\n"))
    return text if len(text) <= limit else text[: limit - 3] + "..."
