"""Types and ranges of every value that reaches the app from outside (page events and the API), and the
shape of the messages that refuse them.

A refusal is a :class:`UserError`: ``"<parameter>: <what is expected>, got <the value>"``: it names the
parameter, echoes at most ``ECHO_CHARS`` characters of the value (HTML-escaped: Gradio renders an error
message as HTML) and never holds a server path, errno text or a traceback. :func:`short` cuts any other
message meant for the user (a library's ValueError) to ``MESSAGE_CHARS``.
"""

from __future__ import annotations

import html
import math
import re
import reprlib
from collections.abc import Sequence
from typing import Any, NoReturn

ECHO_CHARS = 80  # of the user's input inside a message (a 1.2 MB level list was echoed whole)
MESSAGE_CHARS = 300  # of any message shown to the user
MAX_TEXT_CHARS = 1000  # a typed field (custom scales / levels): far more than any list of 8 scales or 16 levels
MAX_PATH_CHARS = 4096  # an uploaded file's path (Linux PATH_MAX)
REQUIRED: Any = object()

_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxlist, _REPR.maxtuple, _REPR.maxdict = 2, 6, 6, 4
_REPR.maxstring, _REPR.maxlong, _REPR.maxother = ECHO_CHARS, 40, ECHO_CHARS


class UserError(ValueError):
    """A message for the user (already in the user's language where a translation exists)."""


def echo(value: Any) -> str:
    """At most ECHO_CHARS characters of ``value``'s repr, HTML-escaped (``10**400`` → ``1000…0000``)."""
    try:
        text = _REPR.repr(value)
    except Exception:  # a repr that raises (an int past Python's digit limit): name the type only
        text = f"<{type(value).__name__}>"
    if len(text) > ECHO_CHARS:
        text = text[:ECHO_CHARS - 1] + "…"
    return html.escape(text, quote=False)


_ERRNO = re.compile(r"\[Errno -?\d+\]\s*")
_PATH = re.compile(r"(?<![\w.:/])(?:[A-Za-z]:)?(?:[\\/][\w.@+~-]+){2,}[\\/]?")


def short(message: str) -> str:
    """A message for the user: errno text dropped, server paths shortened to their last part
    ("/root/.cache/x/alexnet.pth" → "…/alexnet.pth"), cut to MESSAGE_CHARS."""
    message = _ERRNO.sub("", " ".join(str(message).split()))
    message = _PATH.sub(lambda m: "…/" + re.split(r"[\\/]", m.group(0).rstrip("\\/"))[-1], message)
    return message if len(message) <= MESSAGE_CHARS else message[:MESSAGE_CHARS - 1] + "…"


def refuse(param: str, expected: str, value: Any = REQUIRED) -> NoReturn:
    """Raise ``UserError("<param>: <expected>, got <value>")`` (without "got" when no value is given)."""
    got = "" if value is REQUIRED else f", got {echo(value)}"
    raise UserError(f"{param}: {expected}{got}")


def integral(value: Any) -> int | None:
    """``value`` as an int when it is one exactly (int, whole finite float, numeric text), else None.
    Booleans are not numbers here (JSON ``true`` is not 1 scale)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        value = value.strip()
        if not value or len(value) > 40:
            return None
        try:
            return int(value)
        except ValueError:
            pass
        try:
            value = float(value)
        except ValueError:
            return None
    if isinstance(value, float) and math.isfinite(value) and value == int(value):
        return int(value)
    return None


def whole(value: Any, param: str, lo: int, hi: int, default: Any = REQUIRED) -> int:
    """A whole number in lo..hi (``None`` / ``""`` give ``default`` when there is one)."""
    if value is None or value == "":
        if default is REQUIRED:
            refuse(param, f"an integer in {lo}..{hi} is required")
        return default
    n = integral(value)
    if n is None:
        refuse(param, f"must be an integer in {lo}..{hi}", value)
    if not lo <= n <= hi:
        refuse(param, f"must lie in {lo}..{hi}", value)
    return n


def number(value: Any, param: str, lo: float, hi: float) -> float:
    """A finite number in lo..hi (numeric text accepted, booleans refused)."""
    f = None
    if isinstance(value, int | float | str) and not isinstance(value, bool):
        try:
            f = float(value.strip() if isinstance(value, str) and len(value) <= 40 else value)
        except (ValueError, OverflowError):
            f = None
    if f is None or not math.isfinite(f):
        refuse(param, f"must be a number in {lo:g}..{hi:g}", value)
    if not lo <= f <= hi:
        refuse(param, f"must lie in {lo:g}..{hi:g}", value)
    return f


def choice(value: Any, param: str, choices: Sequence[str], default: str | None = None) -> str:
    """One of ``choices`` (``None`` / ``""`` give ``default`` when there is one)."""
    if (value is None or value == "") and default is not None:
        return default
    if not isinstance(value, str) or value not in choices:
        refuse(param, f"choose one of {', '.join(choices)}", value)
    return value


def flag(value: Any, param: str) -> bool:
    """true / false (``None`` is false)."""
    if value is None:
        return False
    if not isinstance(value, bool):
        refuse(param, "must be true or false", value)
    return value


def text(value: Any, param: str, max_chars: int = MAX_TEXT_CHARS) -> str:
    """A string of at most ``max_chars`` characters (``None`` is "")."""
    if value is None:
        return ""
    if not isinstance(value, str):
        refuse(param, "must be text", value)
    if len(value) > max_chars:
        refuse(param, f"at most {max_chars} characters (got {len(value)})")
    return value


def items(value: Any, param: str, max_items: int, expected: str) -> list[Any]:
    """A JSON list of at most ``max_items`` entries (``None`` is [])."""
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        refuse(param, expected, value)
    if len(value) > max_items:
        refuse(param, f"at most {max_items} values (got {len(value)})")
    return list(value)


def file_path(value: Any, param: str) -> str | None:
    """The server path of an uploaded file: a Gradio FileData object ({"path": …}) or the path itself;
    ``None`` / ``""`` when nothing was given. A ``data:`` URL is refused (send the file itself)."""
    if value is None or value == "":
        return None
    if isinstance(value, dict):
        if not value.get("path") and str(value.get("url") or "").startswith("data:"):
            refuse(param, "send the image file itself (upload it), not a data: URL")
        value = value.get("path")
    if not isinstance(value, str) or not value or len(value) > MAX_PATH_CHARS or "\x00" in value:
        refuse(param, "expected an uploaded image file")
    return value
