"""Checks for the `obligations` section of a pack: what a team must do, and by when."""

from __future__ import annotations

from tracker.packs.check_base import MISSING, JsonObject
from tracker.packs.check_deadlines import DeadlineChecks
from tracker.packs.messages import quote
from tracker.packs.specs import KEY_MAX, LONG_TEXT_MAX, TITLE_MAX, ObligationSpec
from tracker.work.vocabulary import DEFAULT_PRIORITY, PRIORITIES, clean_tags

_OBLIGATION_FIELDS = frozenset(
    {"key", "title", "team", "events", "owner", "description", "deadline", "vendors", "priority", "tags"}
)
# Written by the export, ignored (whatever their value) by the import.
_OBLIGATION_READ_ONLY = frozenset({"due_date", "due_state", "revision", "status", "vendor_requests", "stale_estimate",
                                   "evidence"})


class ObligationChecks(DeadlineChecks):
    """Checks obligation items against the teams, members and events so far."""

    def obligation(self, obj: JsonObject) -> ObligationSpec | None:
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
                self.error(path, pos, f"unknown event {quote(ref)}")
            elif ref in seen:
                self.error(path, pos, f"duplicate event {quote(ref)} (first at {seen[ref]})")
            else:
                seen[ref] = path
                events.append(ref)

        owner, _ = self.email(obj, "owner", required=False)
        if owner is not None and owner not in self.member_emails and owner not in self.existing_users:
            self.field_error(
                obj, "owner", f"{quote(owner)} is not a member of a team in this pack or an existing user"
            )
        description = self.text(obj, "description", limit=LONG_TEXT_MAX, required=False, multiline=True)
        priority = self.choice(obj, "priority", PRIORITIES, "priority", required=False, default=DEFAULT_PRIORITY)
        tags = self.tags(obj)
        if obj.get("vendors") is not MISSING:  # a vendor-scoped obligation (tracker.packs.check_vendors)
            self.vendor_scope(obj, key)

        deadline = None
        path, pos = obj.at("deadline")
        value = obj.get("deadline")
        if value is MISSING:
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
            priority=priority or DEFAULT_PRIORITY,
            tags=tuple(tags),
        )  # type: ignore[arg-type]

    def tags(self, obj: JsonObject) -> list[str]:
        """The `tags` list (short labels, tracker.work.vocabulary); absent or null is none."""
        value = obj.get("tags")
        if value is MISSING or value is None:
            return []
        tags, problem = clean_tags(value if isinstance(value, list) else 0)
        if problem:
            self.field_error(obj, "tags", problem)
        return tags
