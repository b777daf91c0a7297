"""Validate a regulation pack (parsed JSON) as a whole, before anything is written.

`validate_pack(data, existing)` either returns a normalized, typed `Pack` or raises
`PackInvalid` carrying *every* problem found, one line each, in document order::

    obligations[2].deadline.anchor: unknown event 'x'

`load_pack_text(text, existing)` parses JSON text first (strictly: no NaN/Infinity,
no duplicate object keys, at most `MAX_PACK_BYTES`) and then validates it.

Nothing in here raises for any JSON-compatible input other than `PackInvalid`.
"""

from __future__ import annotations

import json
import math
import re
import zoneinfo
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit

from email_validator import validate_email

from tracker import deadlines

MAX_PACK_BYTES = 10 * 1024 * 1024

PACK_FORMAT = 1

KEY_MAX = 100
TITLE_MAX = 300  # titles and names
CITATION_MAX = 300
URL_MAX = 2000
LONG_TEXT_MAX = 10_000  # summary, description
EMAIL_MAX = 320
TIMEZONE_MAX = 100
DATE_TEXT_MAX = 100
RRULE_MAX = 1000
JURISDICTION_MAX = 10
VALUE_SHOWN_MAX = 80  # offending values are shortened to this many characters
DETAIL_MAX = 200  # messages from other libraries are shortened to this

OFFSET_MAX_DAYS = 3650  # for "days" and "business_days"
OFFSET_MAX_MONTHS = 120

ROLES = ("admin", "editor", "viewer")
SOURCE_KINDS = (
    "bill",
    "executive_order",
    "agency_rule",
    "enforcement_case",
    "vendor_program",
    "announcement",
    "other",
)
EVENT_STATUSES = ("occurred", "expected", "speculative", "withdrawn")
DEADLINE_RULES = ("fixed", "relative", "recurring")

_TOP_FIELDS = frozenset({"pack", "format", "teams", "sources", "events", "obligations"})
_TEAM_FIELDS = frozenset({"key", "name", "timezone", "members"})
_MEMBER_FIELDS = frozenset({"email", "name", "role"})
_SOURCE_FIELDS = frozenset(
    {"key", "title", "kind", "jurisdiction", "citation", "url", "summary"}
)
_EVENT_FIELDS = frozenset(
    {"key", "source", "title", "status", "date", "precision", "description"}
)
_OBLIGATION_FIELDS = frozenset(
    {"key", "title", "team", "events", "owner", "description", "deadline"}
)
# Written by the export, ignored (whatever their value) by the import.
_OBLIGATION_READ_ONLY = frozenset({"due_date", "due_state", "revision", "status"})
_DEADLINE_FIELDS_BY_RULE = {
    "fixed": frozenset({"rule", "date", "precision"}),
    "relative": frozenset({"rule", "anchor", "offset", "unit", "calendar"}),
    "recurring": frozenset({"rule", "date", "precision", "rrule"}),
}
_DEADLINE_FIELDS = frozenset().union(*_DEADLINE_FIELDS_BY_RULE.values())

_KEY_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]*")
_JURISDICTION_RE = re.compile(r"[A-Z]{2}(?:-[A-Z0-9]{1,3})?")
_TIMEZONE_RE = re.compile(r"[A-Za-z0-9_+-]+(?:/[A-Za-z0-9_+-]+)*")
_IDENTIFIER_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# C0, DEL, C1, line/paragraph separators, and lone surrogates (not encodable as UTF-8).
_BAD_SINGLE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
# The same, but tab and line feed are allowed.
_BAD_MULTI_LINE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_WHITESPACE_RE = re.compile(r"\s")


# --------------------------------------------------------------------------- API


@dataclass(frozen=True)
class ExistingKeys:
    """What the register already holds; pack references may point at these."""

    teams: frozenset[str] = frozenset()
    sources: frozenset[str] = frozenset()
    events: frozenset[str] = frozenset()
    users: frozenset[str] = frozenset()  # normalized emails


@dataclass(frozen=True)
class MemberSpec:
    email: str
    name: str
    role: str


@dataclass(frozen=True)
class TeamSpec:
    key: str
    name: str
    timezone: str
    members: tuple[MemberSpec, ...]


@dataclass(frozen=True)
class SourceSpec:
    key: str
    title: str
    kind: str
    jurisdiction: str
    citation: str
    url: str
    summary: str


@dataclass(frozen=True)
class EventSpec:
    key: str
    source: str
    title: str
    status: str
    date: date | None  # first day of the window (PartialDate.first)
    precision: str  # the date's precision; "day" when there is no date
    description: str


@dataclass(frozen=True)
class DeadlineSpec:
    rule: str
    date: date | None = None
    precision: str = "day"
    anchor: str | None = None
    offset: int = 0
    unit: str = "days"
    calendar: str | None = None
    rrule: str | None = None


@dataclass(frozen=True)
class ObligationSpec:
    key: str
    title: str
    team: str
    events: tuple[str, ...]
    deadline: DeadlineSpec
    owner: str | None
    description: str


@dataclass(frozen=True)
class Pack:
    name: str
    teams: tuple[TeamSpec, ...]
    sources: tuple[SourceSpec, ...]
    events: tuple[EventSpec, ...]
    obligations: tuple[ObligationSpec, ...]


class PackInvalid(Exception):
    """The pack has problems; `.errors` lists every one as `<path>: <reason>`."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(self.errors))

    def __str__(self) -> str:
        return "\n".join(self.errors)


def validate_pack(data: object, existing: ExistingKeys = ExistingKeys()) -> Pack:
    """Validate a parsed pack; return it normalized or raise PackInvalid with all errors."""
    return _Validator(existing).run(data, [])


def load_pack_text(text: str | bytes, existing: ExistingKeys = ExistingKeys()) -> Pack:
    """Parse pack JSON text strictly, then validate it (see validate_pack)."""
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
            [_safe(f"pack: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})")]
        ) from None
    except RecursionError:
        raise PackInvalid(["pack: not valid JSON (nested too deeply)"]) from None
    except ValueError as exc:  # pragma: no cover - defensive
        raise PackInvalid([_safe(f"pack: not valid JSON ({_detail(exc)})")]) from None

    parse_errors: list[tuple[tuple[int, ...], str]] = []
    if flags.suspicious:
        parse_errors = _find_parse_problems(data)
    return _Validator(existing).run(data, parse_errors)


# ------------------------------------------------------------- message helpers


def _too_large(size: int) -> str:
    return f"pack: too large ({size} bytes; at most {MAX_PACK_BYTES})"


def _escape_char(ch: str) -> str:
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


def _quote(text: str, limit: int = VALUE_SHOWN_MAX) -> str:
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


def _safe(message: str) -> str:
    """Escape anything non-printable so a message is always one safe line."""
    if message.isprintable():
        return message
    return "".join(_escape_char(ch) if not ch.isprintable() else ch for ch in message)


def _detail(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    text = _safe(" ".join(text.split()))
    if len(text) > DETAIL_MAX:
        text = text[: DETAIL_MAX - 3] + "..."
    return text


def _show_number(value: int | float) -> str:
    if isinstance(value, int) and value.bit_length() > 200:
        return "a very large number"
    return repr(value)


def _show(value: object) -> str:
    """A short, safe rendering of an offending value."""
    if isinstance(value, str):
        return _quote(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (int, float)):
        return _show_number(value)
    if isinstance(value, _BadNumber):
        return value.text
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, (list, tuple)):
        return "a list"
    return f"a {type(value).__name__}"


def _describe(value: object) -> str:
    """The JSON type of a value, with the value itself when it is a scalar."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {_show(value)}"
    if isinstance(value, (int, float)):
        return f"number {_show_number(value)}"
    if isinstance(value, str):
        return f"string {_quote(value)}"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, (list, tuple)):
        return "list"
    if isinstance(value, _BadNumber):
        return value.text
    return type(value).__name__


def _choices(options: object) -> str:
    try:
        items = [str(o) for o in options]  # type: ignore[union-attr]
    except TypeError:
        return "?"
    if not isinstance(options, (tuple, list)):
        items.sort()
    return ", ".join(items)


def _field_path(parent: str, name: object) -> str:
    if isinstance(name, str) and _IDENTIFIER_RE.fullmatch(name):
        return f"{parent}.{name}" if parent else name
    return f"{parent}[{_show(name)}]"


def _item_path(parent: str, index: int) -> str:
    return f"{parent}[{index}]"


# ------------------------------------------------------------ strict JSON parse


class _BadNumber:
    """Stands in for NaN, Infinity or an absurd number found while parsing JSON.

    The loader reports each one with its path; the validator never reports it again.
    """

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


class _DuplicateKeyDict(dict):
    """A JSON object in which some keys occurred more than once."""

    duplicates: list[str]


class _ParseFlags:
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

    def bad_constant(self, name: str) -> _BadNumber:
        self.suspicious = True
        return _BadNumber(name)

    def parse_float(self, text: str) -> float | _BadNumber:
        value = float(text)
        if math.isfinite(value):
            return value
        self.suspicious = True
        return _BadNumber(f"out-of-range number {_quote(text)}")

    def parse_int(self, text: str) -> int | _BadNumber:
        if len(text) > 1000:
            self.suspicious = True
            return _BadNumber("number with more than 1000 digits")
        return int(text)


def _find_parse_problems(data: object) -> list[tuple[tuple[int, ...], str]]:
    """Duplicate object keys and non-finite numbers, anywhere, with their paths."""
    problems: list[tuple[tuple[int, ...], str]] = []
    stack: list[tuple[object, str, tuple[int, ...]]] = [(data, "", ())]
    while stack:
        value, path, pos = stack.pop()
        label = path or "pack"
        if isinstance(value, _BadNumber):
            problems.append((pos, f"{label}: {value.text} is not allowed"))
        elif isinstance(value, dict):
            if isinstance(value, _DuplicateKeyDict):
                index = {k: i for i, k in enumerate(value)}
                for key in value.duplicates:
                    problems.append(
                        (pos + (index[key],), f"{label}: duplicate field {_show(key)}")
                    )
            children = [
                (child, _field_path(path, key), pos + (i,))
                for i, (key, child) in enumerate(value.items())
            ]
            stack.extend(reversed(children))
        elif isinstance(value, list):
            stack.extend(
                reversed(
                    [(child, _item_path(path, i), pos + (i,)) for i, child in enumerate(value)]
                )
            )
    return problems


# -------------------------------------------------------------------- validator

_MISSING = object()


class _Obj:
    """A JSON object being validated, with its path and document position."""

    __slots__ = ("data", "path", "pos", "order")

    def __init__(self, data: dict, path: str, pos: tuple[int, ...]) -> None:
        self.data = data
        self.path = path
        self.pos = pos
        self.order = {key: i for i, key in enumerate(data)}

    def at(self, name: str) -> tuple[str, tuple[int, ...]]:
        # A missing field sorts after all present fields of its object.
        return _field_path(self.path, name), self.pos + (self.order.get(name, len(self.order)),)

    def get(self, name: str) -> object:
        return self.data.get(name, _MISSING)

    def present(self, name: str) -> bool:
        """True when the field is there and not null."""
        return self.data.get(name) is not None


class _Validator:
    def __init__(self, existing: ExistingKeys) -> None:
        self.existing = existing
        self.errors: list[tuple[tuple[int, ...], int, str]] = []
        self.team_keys: set[str] = set()
        self.source_keys: set[str] = set()
        self.event_keys: set[str] = set()
        self.member_emails: set[str] = set()
        self.existing_users = {u.lower() for u in existing.users if isinstance(u, str)}
        self._email_cache: dict[str, tuple[str | None, str]] = {}
        self._date_cache: dict[tuple[str, str | None], object] = {}
        self._rrule_cache: dict[str, str | None] = {}
        self._calendar_cache: dict[str, bool] = {}
        self._timezone_cache: dict[str, bool] = {}

    # ---------------------------------------------------------------- plumbing

    def error(self, path: str, pos: tuple[int, ...], reason: str) -> None:
        self.errors.append((pos, len(self.errors), _safe(f"{path or 'pack'}: {reason}")))

    def type_error(self, path: str, pos: tuple[int, ...], expected: str, value: object) -> None:
        if isinstance(value, _BadNumber):
            return  # already reported by the loader, with this path
        self.error(path, pos, f"expected {expected}, got {_describe(value)}")

    def run(self, data: object, parse_errors: list[tuple[tuple[int, ...], str]]) -> Pack:
        for pos, message in parse_errors:
            self.errors.append((pos, len(self.errors), message))
        try:
            pack = self.pack(data)
        except RecursionError:  # pragma: no cover - defensive; nothing here recurses
            self.error("", (), "too deeply nested")
            pack = None
        if self.errors or pack is None:
            self.errors.sort(key=lambda item: (item[0], item[1]))
            raise PackInvalid([message for _, _, message in self.errors])
        return pack

    def check_fields(self, obj: _Obj, allowed: frozenset, ignored: frozenset = frozenset()) -> None:
        for name in obj.data:
            if name not in allowed and name not in ignored:
                path, pos = obj.at(name)
                self.error(path, pos, "unknown field")

    def as_object(self, value: object, path: str, pos: tuple[int, ...]) -> _Obj | None:
        if isinstance(value, dict):
            return _Obj(value, path, pos)
        self.type_error(path, pos, "an object", value)
        return None

    def items(self, obj: _Obj, name: str) -> list[tuple[object, str, tuple[int, ...]]]:
        """An optional list field: (item, path, pos) for each item."""
        value = obj.get(name)
        path, pos = obj.at(name)
        if value is _MISSING or value is None:
            return []
        if not isinstance(value, list):
            self.type_error(path, pos, "a list", value)
            return []
        return [(item, _item_path(path, i), pos + (i,)) for i, item in enumerate(value)]

    def string(
        self,
        value: object,
        path: str | _Obj,
        pos: tuple[int, ...] | str,
        *,
        limit: int,
        required: bool = True,
        multiline: bool = False,
    ) -> str | None:
        """Check a present value is an acceptable string; None after reporting if not.

        Single-line strings are stripped; an empty required string is an error.
        `path, pos` may also be `(obj, field name)`, resolved only when there is an
        error: building path strings for every valid field would dominate big packs.
        """
        bad_chars = _BAD_MULTI_LINE if multiline else _BAD_SINGLE_LINE
        if isinstance(value, str):
            text = value if multiline else value.strip()
            if (not required or text.strip()) and len(text) <= limit and not bad_chars.search(value):
                return text
        if isinstance(path, _Obj):
            path, pos = path.at(pos)  # type: ignore[arg-type]
        if not isinstance(value, str):
            self.type_error(path, pos, "a string", value)
            return None
        bad = bad_chars.search(value)
        if bad:
            self.error(
                path, pos, f"character U+{ord(bad.group()):04X} is not allowed in {_quote(value)}"
            )
            return None
        text = value if multiline else value.strip()
        if required and not text.strip():
            self.error(path, pos, "must not be empty" + (f" (got {_quote(value)})" if value else ""))
            return None
        if len(text) > limit:
            self.error(path, pos, f"{_quote(text)} is too long ({len(text)} characters; at most {limit})")
            return None
        return text

    def text(
        self,
        obj: _Obj,
        name: str,
        *,
        limit: int,
        required: bool = True,
        multiline: bool = False,
        default: str | None = "",
    ) -> str | None:
        """A string field. Optional fields that are absent or null give `default`."""
        value = obj.get(name)
        if value is _MISSING:
            if required:
                self.error(*obj.at(name), "required field is missing")
                return None
            return default
        if value is None and not required:
            return default
        result = self.string(value, obj, name, limit=limit, required=required, multiline=multiline)
        if result == "" and not required:
            return default
        return result

    def key(self, obj: _Obj, name: str = "key") -> str | None:
        text = self.text(obj, name, limit=KEY_MAX)
        if text is not None and not _KEY_RE.fullmatch(text):
            path, pos = obj.at(name)
            self.error(
                path,
                pos,
                f"invalid key {_quote(text)} (must start with a letter or digit and contain"
                " only letters, digits, '.', '_', ':' and '-')",
            )
        return text

    def choice(
        self,
        obj: _Obj,
        name: str,
        options: object,
        what: str,
        *,
        required: bool = True,
        default: str | None = None,
    ) -> str | None:
        """A string field that must be one of `options`; absent/null/empty gives `default`."""
        value = obj.get(name)
        if not required and (value is _MISSING or value is None):
            return default
        text = self.text(obj, name, limit=KEY_MAX, required=required, default=None)
        if text is None:
            return default if value == "" else None
        try:
            known = text in options  # type: ignore[operator]
        except TypeError:  # pragma: no cover - defensive
            known = False
        if not known:
            path, pos = obj.at(name)
            self.error(path, pos, f"unknown {what} {_quote(text)} (expected one of {_choices(options)})")
            return None
        return text

    def unique(
        self,
        seen: dict[str, str],
        value: str | None,
        path: str,
        pos: tuple[int, ...],
        what: str,
        item_path: str,
    ) -> None:
        """Report `value` if already seen; `seen` maps values to the item that had them first."""
        if value is None:
            return
        if value in seen:
            self.error(path, pos, f"duplicate {what} {_quote(value)} (first at {seen[value]})")
        else:
            seen[value] = item_path

    def section(self, root: _Obj, name: str, check_item) -> list:
        results = []
        seen: dict[str, str] = {}
        for value, path, pos in self.items(root, name):
            obj = self.as_object(value, path, pos)
            if obj is None:
                continue
            before = len(self.errors)
            spec = check_item(obj)
            key = obj.data.get("key")
            if isinstance(key, str):
                key_path, key_pos = obj.at("key")
                self.unique(seen, key.strip(), key_path, key_pos, "key", obj.path)
            if len(self.errors) == before:
                if spec is None:  # pragma: no cover - a checker bug; never drop an item silently
                    self.error(path, pos, "could not be validated")
                else:
                    results.append(spec)
        return results

    # ------------------------------------------------------------- the pack

    def pack(self, data: object) -> Pack | None:
        root = self.as_object(data, "", ())
        if root is None:
            return None
        self.check_fields(root, _TOP_FIELDS)
        name = self.text(root, "pack", limit=TITLE_MAX)
        fmt = root.get("format")
        if fmt is not _MISSING and fmt is not None and not (type(fmt) is int and fmt == PACK_FORMAT):
            path, pos = root.at("format")
            if not isinstance(fmt, _BadNumber):
                self.error(path, pos, f"unsupported format {_show(fmt)} (expected {PACK_FORMAT})")

        # Dependency order; errors are sorted back into document order at the end.
        teams = self.section(root, "teams", self.team)
        sources = self.section(root, "sources", self.source)
        events = self.section(root, "events", self.event)
        obligations = self.section(root, "obligations", self.obligation)
        if name is None:
            return None
        return Pack(
            name=name,
            teams=tuple(teams),
            sources=tuple(sources),
            events=tuple(events),
            obligations=tuple(obligations),
        )

    # ------------------------------------------------------------------ teams
    # Each item checker notes the error count first and builds its spec only when
    # nothing new was reported, so a None value can never slip into a spec.

    def team(self, obj: _Obj) -> TeamSpec | None:
        before = len(self.errors)
        self.check_fields(obj, _TEAM_FIELDS)
        key = self.key(obj)
        if key is not None:
            self.team_keys.add(key)
        name = self.text(obj, "name", limit=TITLE_MAX)
        timezone = self.timezone(obj)
        members = []
        seen: dict[str, str] = {}
        for value, path, pos in self.items(obj, "members"):
            member = self.as_object(value, path, pos)
            if member is not None:
                members.append(self.member(member, seen))
        if len(self.errors) > before:
            return None
        return TeamSpec(key=key, name=name, timezone=timezone, members=tuple(members))  # type: ignore[arg-type]

    def timezone(self, obj: _Obj) -> str | None:
        text = self.text(obj, "timezone", limit=TIMEZONE_MAX)
        if text is None:
            return None
        known = self._timezone_cache.get(text)
        if known is None:
            known = _is_time_zone(text)
            self._timezone_cache[text] = known
        if not known:
            path, pos = obj.at("timezone")
            self.error(path, pos, f"unknown time zone {_quote(text)}")
            return None
        return text

    def member(self, obj: _Obj, seen: dict[str, str]) -> MemberSpec | None:
        before = len(self.errors)
        self.check_fields(obj, _MEMBER_FIELDS)
        email, local = self.email(obj, "email", required=True)
        if email is not None:
            path, pos = obj.at("email")
            self.unique(seen, email, path, pos, "member", obj.path)
            self.member_emails.add(email)
        name = self.text(obj, "name", limit=TITLE_MAX, required=False, default=None)
        role = self.choice(obj, "role", ROLES, "role", required=False, default="viewer")
        if len(self.errors) > before:
            return None
        return MemberSpec(email=email, name=name or local, role=role)  # type: ignore[arg-type]

    def email(self, obj: _Obj, name: str, *, required: bool) -> tuple[str | None, str]:
        """(normalized lower-case email, its local part); (None, ...) if absent or invalid."""
        text = self.text(obj, name, limit=EMAIL_MAX, required=required, default=None)
        if text is None:
            return None, ""
        cached = self._email_cache.get(text)
        if cached is None:
            try:
                result = validate_email(text, check_deliverability=False)
                normalized = result.normalized.lower()
                cached = (normalized, normalized.rsplit("@", 1)[0])
            except Exception as exc:  # EmailNotValidError, or anything odd from the library
                cached = (None, _detail(exc))
            self._email_cache[text] = cached
        if cached[0] is None:
            path, pos = obj.at(name)
            self.error(path, pos, f"invalid email {_quote(text)} ({cached[1]})")
            return None, ""
        return cached

    # ---------------------------------------------------------------- sources

    def source(self, obj: _Obj) -> SourceSpec | None:
        before = len(self.errors)
        self.check_fields(obj, _SOURCE_FIELDS)
        key = self.key(obj)
        if key is not None:
            self.source_keys.add(key)
        title = self.text(obj, "title", limit=TITLE_MAX)
        kind = self.choice(obj, "kind", SOURCE_KINDS, "kind")
        jurisdiction = self.text(obj, "jurisdiction", limit=JURISDICTION_MAX)
        if jurisdiction is not None and not _JURISDICTION_RE.fullmatch(jurisdiction):
            path, pos = obj.at("jurisdiction")
            self.error(
                path,
                pos,
                f"invalid jurisdiction {_quote(jurisdiction)} (expected an upper-case ISO 3166"
                " code such as 'US', 'US-CA' or 'EU')",
            )
        citation = self.text(obj, "citation", limit=CITATION_MAX, required=False)
        url = self.text(obj, "url", limit=URL_MAX, required=False)
        if url and not _is_http_url(url):
            path, pos = obj.at("url")
            self.error(path, pos, f"{_quote(url)} is not an http(s) URL")
        summary = self.text(obj, "summary", limit=LONG_TEXT_MAX, required=False, multiline=True)
        if len(self.errors) > before:
            return None
        return SourceSpec(
            key=key,
            title=title,
            kind=kind,
            jurisdiction=jurisdiction,
            citation=citation,
            url=url,
            summary=summary,
        )  # type: ignore[arg-type]

    # ----------------------------------------------------------------- events

    def reference(
        self, obj: _Obj, name: str, pack_keys: set[str], existing: frozenset, what: str
    ) -> str | None:
        text = self.text(obj, name, limit=KEY_MAX)
        if text is not None and text not in pack_keys and text not in existing:
            path, pos = obj.at(name)
            self.error(path, pos, f"unknown {what} {_quote(text)}")
            return None
        return text

    def event(self, obj: _Obj) -> EventSpec | None:
        before = len(self.errors)
        self.check_fields(obj, _EVENT_FIELDS)
        key = self.key(obj)
        if key is not None:
            self.event_keys.add(key)
        source = self.reference(obj, "source", self.source_keys, self.existing.sources, "source")
        title = self.text(obj, "title", limit=TITLE_MAX)
        status = self.choice(obj, "status", EVENT_STATUSES, "status")
        precision = self.choice(obj, "precision", deadlines.PRECISIONS, "precision", required=False)
        when = None
        if status == "speculative":
            if obj.present("date"):
                path, pos = obj.at("date")
                self.error(
                    path,
                    pos,
                    f"must be empty when status is 'speculative' (got {_show(obj.get('date'))})",
                )
        elif obj.present("date"):
            when = self.partial_date(obj, "date", precision)
        elif status in ("occurred", "expected"):
            path, pos = obj.at("date")
            self.error(path, pos, f"required when status is {_quote(status)}")
        description = self.text(obj, "description", limit=LONG_TEXT_MAX, required=False, multiline=True)
        if len(self.errors) > before:
            return None
        return EventSpec(
            key=key,
            source=source,
            title=title,
            status=status,
            date=when.first if when is not None else None,
            precision=when.precision if when is not None else "day",
            description=description,
        )  # type: ignore[arg-type]

    def partial_date(self, obj: _Obj, name: str, precision: str | None):
        """Parse a partial date field; on a mismatch blame `precision`, else the date.

        A missing or null date is reported as such (callers decide whether it is required).
        """
        text = self.text(obj, name, limit=DATE_TEXT_MAX)
        if text is None:
            return None
        parsed = self._parse_date(text, precision)
        if not isinstance(parsed, str):
            return parsed
        inferred = self._parse_date(text, None) if precision is not None else parsed
        if not isinstance(inferred, str):
            path, pos = obj.at("precision")
            self.error(
                path,
                pos,
                f"{_quote(precision)} does not match the date {_quote(text)}"  # type: ignore[arg-type]
                f" (which has {_quote(str(inferred.precision))} precision)",
            )
        else:
            # parse_partial_date's own message may already say "'x' is not a valid date (...)".
            prefix = f"{text!r} is not a valid date ("
            if inferred.startswith(prefix) and inferred.endswith(")"):
                inferred = inferred[len(prefix) : -1]
            path, pos = obj.at(name)
            self.error(path, pos, f"{_quote(text)} is not a valid date ({inferred})")
        return None

    def _parse_date(self, text: str, precision: str | None):
        """A PartialDate, or the error message as a string."""
        cache_key = (text, precision)
        if cache_key not in self._date_cache:
            try:
                self._date_cache[cache_key] = deadlines.parse_partial_date(text, precision)
            except Exception as exc:  # ValueError by contract; anything else is a bad date too
                self._date_cache[cache_key] = _detail(exc)
        return self._date_cache[cache_key]

    # ------------------------------------------------------------ obligations

    def obligation(self, obj: _Obj) -> ObligationSpec | None:
        before = len(self.errors)
        self.check_fields(obj, _OBLIGATION_FIELDS, _OBLIGATION_READ_ONLY)
        key = self.key(obj)
        title = self.text(obj, "title", limit=TITLE_MAX)
        team = self.reference(obj, "team", self.team_keys, self.existing.teams, "team")

        events: list[str] = []
        seen: dict[str, str] = {}
        for value, path, pos in self.items(obj, "events"):
            ref = self.string(value, path, pos, limit=KEY_MAX)
            if ref is None:
                continue
            if ref not in self.event_keys and ref not in self.existing.events:
                self.error(path, pos, f"unknown event {_quote(ref)}")
            elif ref in seen:
                self.error(path, pos, f"duplicate event {_quote(ref)} (first at {seen[ref]})")
            else:
                seen[ref] = path
                events.append(ref)

        owner, _ = self.email(obj, "owner", required=False)
        if owner is not None and owner not in self.member_emails and owner not in self.existing_users:
            path, pos = obj.at("owner")
            self.error(
                path, pos, f"{_quote(owner)} is not a member of a team in this pack or an existing user"
            )
        description = self.text(obj, "description", limit=LONG_TEXT_MAX, required=False, multiline=True)

        deadline = None
        path, pos = obj.at("deadline")
        value = obj.get("deadline")
        if value is _MISSING:
            self.error(path, pos, "required field is missing")
        else:
            deadline_obj = self.as_object(value, path, pos)
            if deadline_obj is not None:
                deadline = self.deadline(deadline_obj)
        if len(self.errors) > before or deadline is None:
            return None
        return ObligationSpec(
            key=key,
            title=title,
            team=team,
            events=tuple(events),
            deadline=deadline,
            owner=owner,
            description=description,
        )  # type: ignore[arg-type]

    def deadline(self, obj: _Obj) -> DeadlineSpec | None:
        before = len(self.errors)
        rule = self.choice(obj, "rule", DEADLINE_RULES, "rule")
        allowed = _DEADLINE_FIELDS_BY_RULE.get(rule or "", _DEADLINE_FIELDS)
        for name in obj.data:
            if name not in allowed:
                path, pos = obj.at(name)
                if name in _DEADLINE_FIELDS:
                    self.error(path, pos, f"not used by a {_quote(rule or '')} deadline")
                else:
                    self.error(path, pos, "unknown field")
        spec = None
        if rule == "fixed":
            spec = self.fixed_deadline(obj)
        elif rule == "relative":
            spec = self.relative_deadline(obj)
        elif rule == "recurring":
            spec = self.recurring_deadline(obj)
        return spec if len(self.errors) == before else None

    def fixed_deadline(self, obj: _Obj) -> DeadlineSpec | None:
        precision = self.choice(obj, "precision", deadlines.PRECISIONS, "precision", required=False)
        when = self.partial_date(obj, "date", precision)
        if when is None:
            return None
        return DeadlineSpec(rule="fixed", date=when.first, precision=when.precision)

    def relative_deadline(self, obj: _Obj) -> DeadlineSpec | None:
        anchor = self.reference(obj, "anchor", self.event_keys, self.existing.events, "event")
        offset = obj.get("offset")
        offset_path, offset_pos = obj.at("offset")
        if offset is _MISSING:
            self.error(offset_path, offset_pos, "required field is missing")
            offset = None
        elif type(offset) is not int:
            self.type_error(offset_path, offset_pos, "an integer", offset)
            offset = None
        unit = self.choice(obj, "unit", deadlines.UNITS, "unit", required=False, default="days")
        if offset is not None and unit is not None:
            limit = OFFSET_MAX_MONTHS if unit == "months" else OFFSET_MAX_DAYS
            if abs(offset) > limit:
                self.error(
                    offset_path,
                    offset_pos,
                    f"{_show_number(offset)} is out of range for unit {_quote(unit)}"
                    f" (allowed -{limit} to {limit})",
                )
        calendar = self.text(obj, "calendar", limit=KEY_MAX, required=False, default=None)
        if calendar is not None:
            path, pos = obj.at("calendar")
            if unit is not None and unit != "business_days":
                self.error(
                    path, pos, f"calendar {_quote(calendar)} is only allowed with unit 'business_days'"
                )
            elif not self._supported_calendar(calendar):
                self.error(path, pos, f"unknown calendar {_quote(calendar)}")
        return DeadlineSpec(
            rule="relative", anchor=anchor, offset=offset or 0, unit=unit or "days", calendar=calendar
        )

    def _supported_calendar(self, code: str) -> bool:
        if code not in self._calendar_cache:
            try:
                self._calendar_cache[code] = bool(deadlines.supported_calendar(code))
            except Exception:
                self._calendar_cache[code] = False
        return self._calendar_cache[code]

    def recurring_deadline(self, obj: _Obj) -> DeadlineSpec | None:
        precision = self.choice(obj, "precision", deadlines.PRECISIONS, "precision", required=False)
        when = self.partial_date(obj, "date", precision)
        if when is not None and when.precision != "day":
            path, pos = obj.at("date")
            self.error(
                path,
                pos,
                f"{_quote(str(obj.get('date')).strip())} is not a full date (a recurring deadline"
                f" needs day precision, not {_quote(str(when.precision))})",
            )
        rrule = self.text(obj, "rrule", limit=RRULE_MAX)
        if rrule is not None:
            problem = self._rrule_problem(rrule)
            if problem is not None:
                path, pos = obj.at("rrule")
                self.error(path, pos, f"invalid recurrence rule {_quote(rrule)} ({problem})")
        if when is None:
            return None
        return DeadlineSpec(rule="recurring", date=when.first, precision=when.precision, rrule=rrule)

    def _rrule_problem(self, text: str) -> str | None:
        if text not in self._rrule_cache:
            try:
                problem = deadlines.validate_rrule(text)
                self._rrule_cache[text] = None if problem is None else _detail(Exception(problem))
            except Exception as exc:
                self._rrule_cache[text] = _detail(exc)
        return self._rrule_cache[text]


# ------------------------------------------------------------- small checks


_zone_names: frozenset[str] | None = None
# Files some systems keep beside the zones: loadable, but not IANA zone names.
_NOT_ZONE_NAMES = frozenset({"localtime", "posixrules", "posix", "right"})


def _is_time_zone(name: str) -> bool:
    """An IANA name that zoneinfo can load (no paths, no empty components)."""
    global _zone_names
    if not _TIMEZONE_RE.fullmatch(name) or name in _NOT_ZONE_NAMES:
        return False
    try:
        zoneinfo.ZoneInfo(name)
    except Exception:  # not found, a directory, an invalid key...
        return False
    if _zone_names is None:
        try:
            _zone_names = frozenset(zoneinfo.available_timezones())
        except Exception:  # pragma: no cover - defensive
            _zone_names = frozenset()
    # Refuse system files such as "localtime" that load but are not IANA zone names.
    return not _zone_names or name in _zone_names


def _is_http_url(url: str) -> bool:
    if _WHITESPACE_RE.search(url):
        return False
    try:
        parts = urlsplit(url)
        return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
    except ValueError:
        return False
