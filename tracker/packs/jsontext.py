"""Strict JSON parsing of pack text: size, encoding, nesting, duplicate keys, NaN/Infinity.

`parse_pack_json` refuses text that cannot be read at all (raising `PackInvalid`) and
otherwise returns the data together with the problems that the standard `json` module
would let through silently, each with its document position, so that the validator can
report them among its own errors in document order.
"""

from __future__ import annotations

import json
import math

from tracker.packs.messages import BadNumber, detail, field_path, item_path, quote, safe, show
from tracker.packs.specs import MAX_PACK_BYTES, PackInvalid

# A problem found while parsing: its position in the document (for sorting) and its message.
ParseProblem = tuple[tuple[int, ...], str]


def parse_pack_json(text: str | bytes) -> tuple[object, list[ParseProblem]]:
    """Parse pack JSON text strictly; raise PackInvalid if it cannot be parsed at all."""
    if isinstance(text, (bytes, bytearray, memoryview)):
        raw = bytes(text)
        if len(raw) > MAX_PACK_BYTES:
            raise PackInvalid([_too_large(len(raw))])
        try:
            source = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise PackInvalid(
                [f"pack: not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})"]
            ) from None
    elif isinstance(text, str):
        if len(text) > MAX_PACK_BYTES:
            raise PackInvalid([_too_large(len(text))])
        if len(text) > MAX_PACK_BYTES // 4:
            size = len(text.encode("utf-8", "surrogatepass"))
            if size > MAX_PACK_BYTES:
                raise PackInvalid([_too_large(size)])
        source = text[1:] if text.startswith("\ufeff") else text
    else:
        raise PackInvalid([f"pack: expected JSON text, got {type(text).__name__}"])

    flags = _ParseFlags()
    try:
        data = json.loads(
            source,
            object_pairs_hook=flags.make_object,
            parse_constant=flags.bad_constant,
            parse_float=flags.parse_float,
            parse_int=flags.parse_int,
        )
    except json.JSONDecodeError as exc:
        raise PackInvalid(
            [safe(f"pack: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})")]
        ) from None
    except RecursionError:
        raise PackInvalid(["pack: not valid JSON (nested too deeply)"]) from None
    except ValueError as exc:  # pragma: no cover - defensive
        raise PackInvalid([safe(f"pack: not valid JSON ({detail(exc)})")]) from None

    if not flags.suspicious:
        return data, []
    return data, _find_parse_problems(data)


def _too_large(size: int) -> str:
    return f"pack: too large ({size} bytes; at most {MAX_PACK_BYTES})"


class _DuplicateKeyDict(dict):
    """A JSON object in which some keys occurred more than once."""

    duplicates: list[str]


class _ParseFlags:
    """Hooks for json.loads that mark what it would otherwise accept silently."""

    def __init__(self) -> None:
        self.suspicious = False

    def make_object(self, pairs: list[tuple[str, object]]) -> dict:
        obj = dict(pairs)
        if len(obj) == len(pairs):
            return obj
        self.suspicious = True
        marked = _DuplicateKeyDict(obj)
        seen: set[str] = set()
        duplicates: list[str] = []
        for key, _ in pairs:
            if key in seen and key not in duplicates:
                duplicates.append(key)
            seen.add(key)
        marked.duplicates = duplicates
        return marked

    def bad_constant(self, name: str) -> BadNumber:
        self.suspicious = True
        return BadNumber(name)

    def parse_float(self, text: str) -> float | BadNumber:
        value = float(text)
        if math.isfinite(value):
            return value
        self.suspicious = True
        return BadNumber(f"out-of-range number {quote(text)}")

    def parse_int(self, text: str) -> int | BadNumber:
        if len(text) > 1000:
            self.suspicious = True
            return BadNumber("number with more than 1000 digits")
        return int(text)


def _find_parse_problems(data: object) -> list[ParseProblem]:
    """Duplicate object keys and non-finite numbers, anywhere, with their paths."""
    problems: list[ParseProblem] = []
    stack: list[tuple[object, str, tuple[int, ...]]] = [(data, "", ())]
    while stack:
        value, path, pos = stack.pop()
        label = path or "pack"
        if isinstance(value, BadNumber):
            problems.append((pos, f"{label}: {value.text} is not allowed"))
        elif isinstance(value, dict):
            if isinstance(value, _DuplicateKeyDict):
                index = {k: i for i, k in enumerate(value)}
                for key in value.duplicates:
                    problems.append(
                        (pos + (index[key],), f"{label}: duplicate field {show(key)}")
                    )
            children = [
                (child, field_path(path, key), pos + (i,))
                for i, (key, child) in enumerate(value.items())
            ]
            stack.extend(reversed(children))
        elif isinstance(value, list):
            stack.extend(
                reversed(
                    [(child, item_path(path, i), pos + (i,)) for i, child in enumerate(value)]
                )
            )
    return problems

