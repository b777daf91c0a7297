"""Sampling of hostile values for the page fuzz tests.

Trying every hostile value on every page and argument is thorough and slow (about a minute a
pass). By default each page gets a sample drawn from a fixed seed, different per page, so the
whole list is still covered across pages and a failure replays exactly:

    TRACKER_FUZZ_SEED=<seed printed in the header> pytest tests/web/test_ui_fuzz.py

`TRACKER_FUZZ_ALL=1` tries every value everywhere, as before.
"""

from __future__ import annotations

import os
import random
from typing import Sequence, TypeVar

T = TypeVar("T")

DEFAULT_SEED = 20261207
SEED = int(os.environ.get("TRACKER_FUZZ_SEED") or DEFAULT_SEED)
EVERY_VALUE = os.environ.get("TRACKER_FUZZ_ALL", "") not in ("", "0")


def header() -> str:
    """The line pytest prints at the start of a run, so a failure names its seed."""
    if EVERY_VALUE:
        return "page fuzz: every hostile value (TRACKER_FUZZ_ALL=1)"
    return (f"page fuzz: sampled with seed {SEED} (replay with TRACKER_FUZZ_SEED={SEED}; "
            "TRACKER_FUZZ_ALL=1 tries every value)")


def sample(values: Sequence[T], k: int, *where: object) -> list[T]:
    """`k` of `values` for the place named by `where` (a page, a form), the same on every run
    with the same seed; all of them when TRACKER_FUZZ_ALL is set."""
    if EVERY_VALUE or k >= len(values):
        return list(values)
    rng = random.Random(":".join([str(SEED), *map(str, where)]))
    return rng.sample(list(values), k)
