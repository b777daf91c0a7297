"""The fixed words of the domain, shared by models, services, forms and packs (pure)."""

from __future__ import annotations

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
# How each source kind is named to people: "executive order".
SOURCE_KIND_LABELS = {kind: kind.replace("_", " ") for kind in SOURCE_KINDS}
OBLIGATION_STATUSES = ("open", "in_progress", "done", "waived", "not_applicable")
# Statuses that still mean work to do: only these can be overdue.
ACTIVE_STATUSES = ("open", "in_progress")
# How each obligation status is named to people (UI, forms, feeds, email).
STATUS_LABELS = {
    "open": "Open",
    "in_progress": "In progress",
    "done": "Done",
    "waived": "Waived",
    "not_applicable": "Not applicable",
}
