"""`report (--team NAME | --source KEY | --vendor KEY) --format pdf|xlsx [--as-of YYYY-MM-DD] -o FILE`."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from tracker.audit import CLI
from tracker.errors import ValidationFailed
from tracker.reports.files import make_report, write_atomically
from tracker.reports.scopes import ReportForbidden, parse_as_of


def _fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


@click.command("report")
@click.option("--team", "team", default=None, metavar="NAME", help="A team's key or name.")
@click.option("--source", "source", default=None, metavar="KEY", help="A source (regulation) key.")
@click.option("--vendor", "vendor", default=None, metavar="KEY", help="A vendor key.")
@click.option("--format", "fmt", required=True, type=click.Choice(["pdf", "xlsx"]), help="pdf or xlsx.")
@click.option("--as-of", "as_of", default=None, metavar="YYYY-MM-DD",
              help="The register as it stood at the end of this day (UTC); default: now.")
@click.option("-o", "--output", "output", required=True, metavar="FILE", help="Where to write the report.")
@with_appcontext
def report_command(team: str | None, source: str | None, vendor: str | None, fmt: str, as_of: str | None,
                   output: str) -> None:
    """Write an audit report of a team, a source or a vendor (PDF or Excel) to FILE."""
    chosen = [(kind, value) for kind, value in (("team", team), ("source", source), ("vendor", vendor))
              if value is not None]
    if len(chosen) != 1:
        _fail("give exactly one of --team, --source or --vendor")
    target = Path(output)
    if target.is_dir() or not (target.parent if str(target.parent) else Path(".")).is_dir():
        _fail(f"cannot write '{output}': give a file in an existing folder")
    kind, ref = chosen[0]
    try:
        made = make_report(kind, ref, fmt, parse_as_of(as_of), None, CLI.label)
    except ValidationFailed as exc:
        _fail("; ".join(f"{name.replace('_', '-')}: {reason}" for name, reason in exc.errors.items()))
    except ReportForbidden as exc:
        _fail(str(exc))
    try:
        write_atomically(target, made.content)
    except OSError as exc:
        _fail(f"cannot write '{output}': {exc.strerror or exc}")
    click.echo(f"wrote {output}: {len(made.report.obligations)} obligations, {fmt}, as of "
               f"{made.request.as_of.isoformat()}{' (reconstructed)' if made.request.historical else ''}")


COMMANDS = [report_command]
