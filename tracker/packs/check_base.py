"""The shared machinery of pack checking: error collection and the field checks every section uses.

`Checker` collects errors with their document positions and checks single fields
(strings, keys, choices, references, emails, partial dates); the section checkers in
`check_teams`, `check_sources`, `check_events` and `check_obligations` build on it.
"""

from __future__ import annotations

from tracker import deadlines
from tracker.fields import check_key, forbidden_character, normalize_email
from tracker.packs.messages import (
    BadNumber,
    choices,
    describe,
    detail,
    field_path,
    item_path,
    quote,
    safe,
)
from tracker.packs.specs import DATE_TEXT_MAX, EMAIL_MAX, KEY_MAX, ExistingKeys

MISSING = object()


class JsonObject:
    """A JSON object being validated, with its path and document position."""

    __slots__ = ("data", "path", "pos", "order")

    def __init__(self, data: dict, path: str, pos: tuple[int, ...]) -> None:
        self.data = data
        self.path = path
        self.pos = pos
        self.order = {key: i for i, key in enumerate(data)}

    def at(self, name: str) -> tuple[str, tuple[int, ...]]:
        # A missing field sorts after all present fields of its object.
        return field_path(self.path, name), self.pos + (self.order.get(name, len(self.order)),)

    def get(self, name: str) -> object:
        return self.data.get(name, MISSING)

    def present(self, name: str) -> bool:
        """True when the field is there and not null."""
        return self.data.get(name) is not None


class Checker:
    """Collects errors, each with its document position, and checks single fields.

    Each item checker (in the section modules) notes the error count first and builds its
    spec only when nothing new was reported, so a None value can never slip into a spec.
    """

    def __init__(self, existing: ExistingKeys) -> None:
        self.existing = existing
        self.errors: list[tuple[tuple[int, ...], int, str]] = []
        # Keys and members the pack defines so far; later sections may refer to them.
        self.team_keys: set[str] = set()
        self.source_keys: set[str] = set()
        self.event_keys: set[str] = set()
        self.member_emails: set[str] = set()
        self.existing_users = {u.lower() for u in existing.users if isinstance(u, str)}
        self._email_cache: dict[str, tuple[str | None, str]] = {}
        self._date_cache: dict[tuple[str, str | None], object] = {}

    def error(self, path: str, pos: tuple[int, ...], reason: str) -> None:
        self.errors.append((pos, len(self.errors), safe(f"{path or 'pack'}: {reason}")))

    def field_error(self, obj: JsonObject, name: str, reason: str) -> None:
        """Report a problem with field `name` of `obj` (present or missing)."""
        self.error(*obj.at(name), reason)

    def type_error(self, path: str, pos: tuple[int, ...], expected: str, value: object) -> None:
        if isinstance(value, BadNumber):
            return  # already reported by the loader, with this path
        self.error(path, pos, f"expected {expected}, got {describe(value)}")

    def check_fields(self, obj: JsonObject, allowed: frozenset, ignored: frozenset = frozenset()) -> None:
        for name in obj.data:
            if name not in allowed and name not in ignored:
                self.field_error(obj, name, "unknown field")

    def as_object(self, value: object, path: str, pos: tuple[int, ...]) -> JsonObject | None:
        if isinstance(value, dict):
            return JsonObject(value, path, pos)
        self.type_error(path, pos, "an object", value)
        return None

    def items(self, obj: JsonObject, name: str) -> list[tuple[object, str, tuple[int, ...]]]:
        """An optional list field: (item, path, pos) for each item."""
        value = obj.get(name)
        path, pos = obj.at(name)
        if value is MISSING or value is None:
            return []
        if not isinstance(value, list):
            self.type_error(path, pos, "a list", value)
            return []
        return [(item, item_path(path, i), pos + (i,)) for i, item in enumerate(value)]

    def string(
        self,
        value: object,
        path: str | JsonObject,
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
        # The characters are those of tracker.fields; a pack's multi-line text is taken
        # as it is written, so a CR there is refused (the services store CR LF as LF).
        if isinstance(value, str):
            text = value if multiline else value.strip()
            if (not required or text.strip()) and len(text) <= limit and not forbidden_character(value, multiline):
                return text
        if isinstance(path, JsonObject):
            path, pos = path.at(pos)  # type: ignore[arg-type]
        if not isinstance(value, str):
            self.type_error(path, pos, "a string", value)
            return None
        bad = forbidden_character(value, multiline)
        if bad:
            self.error(path, pos, f"{bad} in {quote(value)}")
            return None
        text = value if multiline else value.strip()
        if required and not text.strip():
            self.error(path, pos, "must not be empty" + (f" (got {quote(value)})" if value else ""))
            return None
        if len(text) > limit:
            self.error(path, pos, f"{quote(text)} is too long ({len(text)} characters; at most {limit})")
            return None
        return text

    def text(
        self,
        obj: JsonObject,
        name: str,
        *,
        limit: int,
        required: bool = True,
        multiline: bool = False,
        default: str | None = "",
    ) -> str | None:
        """A string field. Optional fields that are absent or null give `default`."""
        value = obj.get(name)
        if value is MISSING:
            if required:
                self.field_error(obj, name, "required field is missing")
                return None
            return default
        if value is None and not required:
            return default
        result = self.string(value, obj, name, limit=limit, required=required, multiline=multiline)
        if result == "" and not required:
            return default
        return result

    def key(self, obj: JsonObject, name: str = "key") -> str | None:
        text = self.text(obj, name, limit=KEY_MAX)
        if text is not None and (problem := check_key(text, show=quote)):
            self.field_error(obj, name, problem)
        return text

    def defined_key(self, obj: JsonObject, fields: frozenset, defined: set[str]) -> str | None:
        """Check an item's fields and its key, and note the key in `defined`.

        The key is noted even when the item has other problems, so that references to it
        are not reported as unknown on top of those problems.
        """
        self.check_fields(obj, fields)
        key = self.key(obj)
        if key is not None:
            defined.add(key)
        return key

    def choice(
        self,
        obj: JsonObject,
        name: str,
        options: object,
        what: str,
        *,
        required: bool = True,
        default: str | None = None,
    ) -> str | None:
        """A string field that must be one of `options`; absent/null/empty gives `default`."""
        value = obj.get(name)
        if not required and (value is MISSING or value is None):
            return default
        text = self.text(obj, name, limit=KEY_MAX, required=required, default=None)
        if text is None:
            return default if value == "" else None
        try:
            known = text in options  # type: ignore[operator]
        except TypeError:  # pragma: no cover - defensive
            known = False
        if not known:
            self.field_error(
                obj, name, f"unknown {what} {quote(text)} (expected one of {choices(options)})"
            )
            return None
        return text

    def unique(
        self,
        seen: dict[str, str],
        value: str | None,
        path: str,
        pos: tuple[int, ...],
        what: str,
        where: str,
    ) -> None:
        """Report `value` if already seen; `seen` maps values to the item that had them first.

        `where` is the path of the item holding `value`, noted when it is the first.
        """
        if value is None:
            return
        if value in seen:
            self.error(path, pos, f"duplicate {what} {quote(value)} (first at {seen[value]})")
        else:
            seen[value] = where

    def section(self, root: JsonObject, name: str, check_item) -> list:
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

    def email(self, obj: JsonObject, name: str, *, required: bool) -> tuple[str | None, str]:
        """(normalized lower-case email, its local part); (None, ...) if absent or invalid."""
        text = self.text(obj, name, limit=EMAIL_MAX, required=required, default=None)
        if text is None:
            return None, ""
        cached = self._email_cache.get(text)
        if cached is None:
            normalized, problem = normalize_email(text, show=quote)
            cached = (normalized, normalized.rsplit("@", 1)[0]) if normalized else (None, problem or "")
            self._email_cache[text] = cached
        if cached[0] is None:
            self.field_error(obj, name, cached[1])
            return None, ""
        return cached

    def reference(
        self, obj: JsonObject, name: str, pack_keys: set[str], existing: frozenset, what: str
    ) -> str | None:
        text = self.text(obj, name, limit=KEY_MAX)
        if text is not None and text not in pack_keys and text not in existing:
            self.field_error(obj, name, f"unknown {what} {quote(text)}")
            return None
        return text

    def partial_date(self, obj: JsonObject, name: str, precision: str | None):
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
            self.field_error(
                obj,
                "precision",
                f"{quote(precision)} does not match the date {quote(text)}"  # type: ignore[arg-type]
                f" (which has {quote(str(inferred.precision))} precision)",
            )
        elif " is out of range: " in inferred:
            self.field_error(obj, name, f"{quote(text)} is out of range: {inferred.split(' is out of range: ', 1)[1]}")
        else:
            # parse_partial_date's own message may already say "'x' is not a valid date (...)".
            prefix = f"{text!r} is not a valid date ("
            if inferred.startswith(prefix) and inferred.endswith(")"):
                inferred = inferred[len(prefix) : -1]
            self.field_error(obj, name, f"{quote(text)} is not a valid date ({inferred})")
        return None

    def _parse_date(self, text: str, precision: str | None):
        """A PartialDate, or the error message as a string."""
        cache_key = (text, precision)
        if cache_key not in self._date_cache:
            try:
                self._date_cache[cache_key] = deadlines.parse_partial_date(text, precision)
            except Exception as exc:  # ValueError by contract; anything else is a bad date too
                self._date_cache[cache_key] = detail(exc)
        return self._date_cache[cache_key]
