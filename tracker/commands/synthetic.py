"""`seed-synthetic`: bulk synthetic data for benchmarks."""

from __future__ import annotations

import random
import secrets
import sys

import click
from flask.cli import with_appcontext

from tracker.register.synthetic import seed_synthetic


@click.command("seed-synthetic")
@click.option("--obligations", "count", required=True, type=int, help="How many obligations to add.")
@click.option("--teams", "team_count", default=10, show_default=True, type=int)
@click.option("--events", "event_count", default=50, show_default=True, type=int)
@click.option("--seed", default=None, type=int, help="Random seed (default: random).")
@with_appcontext
def seed_synthetic_command(count: int, team_count: int, event_count: int, seed: int | None) -> None:
    """Add N synthetic obligations (with events and teams) for benchmarks."""
    if count < 1 or team_count < 1 or event_count < 1:
        click.echo("Error: --obligations, --teams and --events must be at least 1", err=True)
        sys.exit(1)
    if count > 2_000_000:
        click.echo("Error: --obligations is limited to 2,000,000", err=True)
        sys.exit(1)
    rng = random.Random(seed if seed is not None else secrets.randbits(32))
    summary = seed_synthetic(count, team_count=team_count, event_count=event_count, rng=rng)
    click.echo(summary)


COMMANDS = [seed_synthetic_command]
