"""Factories for vendors and vendor-scoped obligations, built through the real services."""

from __future__ import annotations

import itertools

from tracker.audit import SYSTEM
from tracker.models import Obligation, Team, Vendor
from tracker.vendors.operations import create_vendor
from tracker.vendors.requests import normalized_scope, set_scope

_counter = itertools.count(1)


def make_vendor(team: Team, key: str | None = None, categories=("gpu_hardware",), markets=("US",),
                status: str = "active", contacts=None, **values) -> Vendor:
    n = next(_counter)
    return create_vendor(SYSTEM, key=key or f"vendor-{n}", name=values.pop("name", f"Vendor {n}"),
                         categories=list(categories), markets=list(markets), status=status,
                         team_id=team.id, contacts=contacts if contacts is not None else
                         [{"name": f"Contact {n}", "email": f"contact{n}@vendor{n}.example", "role": "primary"}],
                         **values)


def scope(obligation: Obligation, categories=None, markets=None, keys=None) -> dict:
    return set_scope(obligation, normalized_scope(categories, markets, keys), SYSTEM)
