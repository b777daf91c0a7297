"""The top level of a pack: its own fields, then each section in dependency order.

`PackValidator` combines the section checkers; `run` returns the typed `Pack` or raises
`PackInvalid` with every error, parse errors included, sorted into document order.
"""

from __future__ import annotations

from tracker.packs.check_base import MISSING
from tracker.packs.check_events import EventChecks
from tracker.packs.check_obligations import ObligationChecks
from tracker.packs.check_sources import SourceChecks
from tracker.packs.check_teams import TeamChecks
from tracker.packs.check_vendors import VendorChecks
from tracker.packs.jsontext import ParseProblem
from tracker.packs.messages import BadNumber, show
from tracker.packs.specs import PACK_FORMAT, TITLE_MAX, Pack, PackInvalid

_TOP_FIELDS = frozenset({"pack", "format", "teams", "sources", "events", "obligations", "vendors"})


class PackValidator(TeamChecks, SourceChecks, EventChecks, VendorChecks, ObligationChecks):
    """One validation of one pack: the top level, then every section, sharing one list of errors."""

    def run(self, data: object, parse_errors: list[ParseProblem]) -> Pack:
        """The validated pack, or PackInvalid with every error (parse errors included)."""
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

    def pack(self, data: object) -> Pack | None:
        """The top-level object and its sections; None (with errors reported) if unusable."""
        root = self.as_object(data, "", ())
        if root is None:
            return None
        self.check_fields(root, _TOP_FIELDS)
        name = self.text(root, "pack", limit=TITLE_MAX)
        fmt = root.get("format")
        if fmt is not MISSING and fmt is not None and not (type(fmt) is int and fmt == PACK_FORMAT):
            path, pos = root.at("format")
            if not isinstance(fmt, BadNumber):
                self.error(path, pos, f"unsupported format {show(fmt)} (expected {PACK_FORMAT})")

        # Dependency order; errors are sorted back into document order at the end.
        teams = self.section(root, "teams", self.team)
        sources = self.section(root, "sources", self.source)
        events = self.section(root, "events", self.event)
        vendors = self.section(root, "vendors", self.vendor)
        obligations = self.section(root, "obligations", self.obligation)
        if name is None:
            return None
        return Pack(
            name=name,
            teams=tuple(teams),
            sources=tuple(sources),
            events=tuple(events),
            obligations=tuple(obligations),
            vendors=tuple(vendors),
            vendor_scopes=tuple(self.vendor_scopes),
        )
