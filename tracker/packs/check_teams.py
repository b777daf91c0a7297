"""Checks for the `teams` section of a pack: teams, their time zones and their members."""

from __future__ import annotations

from tracker.fields import check_timezone
from tracker.packs.check_base import Checker, JsonObject
from tracker.packs.messages import quote
from tracker.packs.specs import (
    ROLES,
    TIMEZONE_MAX,
    TITLE_MAX,
    ExistingKeys,
    MemberSpec,
    TeamSpec,
)

_TEAM_FIELDS = frozenset({"key", "name", "timezone", "members"})
_MEMBER_FIELDS = frozenset({"email", "name", "role"})


class TeamChecks(Checker):
    """Checks team items; records their keys and member emails for later sections."""

    def __init__(self, existing: ExistingKeys) -> None:
        super().__init__(existing)
        self._timezone_cache: dict[str, str | None] = {}

    def team(self, obj: JsonObject) -> TeamSpec | None:
        before = len(self.errors)
        key = self.defined_key(obj, _TEAM_FIELDS, self.team_keys)
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

    def timezone(self, obj: JsonObject) -> str | None:
        text = self.text(obj, "timezone", limit=TIMEZONE_MAX)
        if text is None:
            return None
        if text not in self._timezone_cache:
            self._timezone_cache[text] = check_timezone(text, show=quote)
        if problem := self._timezone_cache[text]:
            self.field_error(obj, "timezone", problem)
            return None
        return text

    def member(self, obj: JsonObject, seen: dict[str, str]) -> MemberSpec | None:
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

