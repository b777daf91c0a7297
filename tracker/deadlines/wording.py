"""Shared phrases for deadline expressions ("90 days after Chip Security Act enacted")."""

from __future__ import annotations

_UNIT_WORDS = {"days": "day", "business_days": "business day", "months": "month"}


def plural(n: int, word: str) -> str:
    """``1 day``, ``2 days``."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def offset_phrase(offset: int, unit: str, title: str, calendar: str) -> str:
    """``90 days after X``, ``10 business days (US holidays) before X``, ``Same day as X``.

    The calendar is named only for business days, the one unit it changes.
    """
    if offset == 0:
        return f"same day as {title}"
    amount = plural(abs(offset), _UNIT_WORDS.get(unit, unit))
    if unit == "business_days":
        amount += " (EU: ECB TARGET closing days)" if calendar == "EU" else f" ({calendar} holidays)"
    return f"{amount} {'after' if offset > 0 else 'before'} {title}"
