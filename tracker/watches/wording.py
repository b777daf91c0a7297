"""How watches, stages and observations are named to people (pure)."""

from __future__ import annotations

from datetime import date

from tracker.watches.providers import LABELS


def provider_label(name: str) -> str:
    """'Congress.gov' for 'congress'."""
    return LABELS.get(name, name)


def stage_words(stage: str) -> str:
    """'passed committee' for 'passed_committee'."""
    return stage.replace("_", " ")


def reported(provider: str, text: str, on: date | None) -> str:
    """'Congress.gov: Became Public Law No: 119-52 (2026-12-03)': the provider and what it said."""
    words = " ".join((text or "").split()).rstrip(".") or "(no text)"
    return f"{provider_label(provider)}: {words}" + (f" ({on.isoformat()})" if on else "")


def change_words(status: str, on: date | None) -> str:
    """'occurred on 2026-12-03', 'expected 2026-06-22', 'withdrawn', 'no longer dated'."""
    if status == "occurred":
        return f"occurred on {on.isoformat()}" if on else "occurred"
    if status == "expected":
        return f"expected {on.isoformat()}" if on else "expected"
    if status == "withdrawn":
        return "withdrawn"
    return "no longer dated (speculative)"
