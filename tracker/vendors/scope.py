"""Which vendors a vendor-scoped obligation is collected from (pure: no Flask, no database).

A scope names either explicit vendor `keys`, or `categories` and `markets`:
a vendor is in scope when its categories include *all* listed categories and
its markets include *one* of the listed markets; a list left out (None)
matches every vendor. Only `active` vendors match categories and markets; an
explicit key also takes a `prospective` vendor (someone listed it by name,
e.g. to collect a certification before onboarding), never an offboarded one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable


@dataclass(frozen=True)
class Scope:
    """A vendor scope; None for a list means "not part of the scope" (matches all)."""

    categories: tuple[str, ...] | None = None
    markets: tuple[str, ...] | None = None
    keys: tuple[str, ...] | None = None

    @classmethod
    def of(cls, categories=None, markets=None, keys=None) -> Scope:
        """A scope from lists (empty lists count as left out)."""
        def norm(values):
            return tuple(values) if values else None
        return cls(norm(categories), norm(markets), norm(keys))

    @property
    def is_empty(self) -> bool:
        return self.categories is None and self.markets is None and self.keys is None

    def as_dict(self) -> dict:
        """The pack / API form: only the lists that are part of the scope."""
        return {name: list(value) for name, value in
                (("categories", self.categories), ("markets", self.markets), ("keys", self.keys))
                if value is not None}

    def describe(self) -> str:
        """'vendors gpu-1, gpu-2' or 'active vendors in gpu_hardware selling in US or US-CA'."""
        if self.keys is not None:
            return "vendors " + ", ".join(self.keys)
        parts = ["active vendors"]
        if self.categories:
            parts.append("in " + " and ".join(self.categories))
        if self.markets:
            parts.append("selling in " + " or ".join(self.markets))
        return " ".join(parts)


@dataclass(frozen=True)
class VendorFacts:
    """What scope matching needs to know of a vendor."""

    id: int
    key: str
    status: str
    categories: tuple[str, ...]
    markets: tuple[str, ...]


def scope_problem(scope: Scope) -> str | None:
    """Why a scope cannot be stored, or None."""
    if scope.is_empty:
        return "name the vendors: categories and/or markets, or vendor keys"
    if scope.keys is not None and (scope.categories is not None or scope.markets is not None):
        return "use either vendor keys or categories and markets, not both"
    return None


def matches(scope: Scope, vendor: VendorFacts) -> bool:
    """True when the vendor is in the scope."""
    if scope.keys is not None:
        return vendor.status != "offboarded" and vendor.key in scope.keys
    if vendor.status != "active":
        return False
    if scope.categories and not set(scope.categories) <= set(vendor.categories):
        return False
    if scope.markets and not set(scope.markets) & set(vendor.markets):
        return False
    return True


def in_scope(scope: Scope, vendors: Iterable[VendorFacts]) -> set[int]:
    """The ids of the vendors in the scope."""
    return {vendor.id for vendor in vendors if matches(scope, vendor)}
