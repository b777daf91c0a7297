"""How problems are written: offending values quoted, escaped and shortened; paths spelled.

Every message a pack check produces goes through these helpers, so it is always a single
printable line of bounded length, whatever the pack contained.
"""

from __future__ import annotations

import re

from tracker.packs.specs import DETAIL_MAX, VALUE_SHOWN_MAX

_IDENTIFIER_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class BadNumber:
    """Stands in for NaN, Infinity or an absurd number found while parsing JSON.

    The loader reports each one with its path; the validator never reports it again.
    Its `text` is how it is shown in messages.
    """

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def _escape_char(ch: str) -> str:
    """One character as it appears inside a quoted value."""
    if ch == "\\":
        return "\\\\"
    if ch == "'":
        return "\\'"
    if ch.isprintable():
        return ch
    if ch == "\n":
        return "\\n"
    if ch == "\t":
        return "\\t"
    if ch == "\r":
        return "\\r"
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def quote(text: str, limit: int = VALUE_SHOWN_MAX) -> str:
    """Repr-like quoting: escaped, single line, at most `limit` characters inside."""
    pieces: list[str] = []
    length = 0
    complete = True
    for ch in text:
        piece = _escape_char(ch)
        pieces.append(piece)
        length += len(piece)
        if length > limit:
            complete = False
            break
    if not complete:
        kept: list[str] = []
        length = 0
        for piece in pieces:
            if length + len(piece) > limit - 3:
                break
            kept.append(piece)
            length += len(piece)
        pieces = kept + ["..."]
    return "'" + "".join(pieces) + "'"


def safe(message: str) -> str:
    """Escape anything non-printable so a message is always one safe line."""
    if message.isprintable():
        return message
    return "".join(_escape_char(ch) if not ch.isprintable() else ch for ch in message)


def detail(exc: BaseException) -> str:
    """Another library's error message, as one safe line of at most DETAIL_MAX characters."""
    text = str(exc) or type(exc).__name__
    text = safe(" ".join(text.split()))
    if len(text) > DETAIL_MAX:
        text = text[: DETAIL_MAX - 3] + "..."
    return text


def show_number(value: int | float) -> str:
    """A number as written in a message; huge integers are not spelled out."""
    if isinstance(value, int) and value.bit_length() > 200:
        return "a very large number"
    return repr(value)


def show(value: object) -> str:
    """A short, safe rendering of an offending value."""
    if isinstance(value, str):
        return quote(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (int, float)):
        return show_number(value)
    if isinstance(value, BadNumber):
        return value.text
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, (list, tuple)):
        return "a list"
    return f"a {type(value).__name__}"


def describe(value: object) -> str:
    """The JSON type of a value, with the value itself when it is a scalar."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {show(value)}"
    if isinstance(value, (int, float)):
        return f"number {show_number(value)}"
    if isinstance(value, str):
        return f"string {quote(value)}"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, (list, tuple)):
        return "list"
    if isinstance(value, BadNumber):
        return value.text
    return type(value).__name__


def choices(options: object) -> str:
    """The allowed values, comma-separated, for an "expected one of" message."""
    try:
        items = [str(o) for o in options]  # type: ignore[union-attr]
    except TypeError:
        return "?"
    if not isinstance(options, (tuple, list)):
        items.sort()
    return ", ".join(items)


def field_path(parent: str, name: object) -> str:
    """The path of field `name` inside `parent`: `a.b`, or `a['odd name']`."""
    if isinstance(name, str) and _IDENTIFIER_RE.fullmatch(name):
        return f"{parent}.{name}" if parent else name
    return f"{parent}[{show(name)}]"


def item_path(parent: str, index: int) -> str:
    """The path of list item `index` inside `parent`: `a[3]`."""
    return f"{parent}[{index}]"
