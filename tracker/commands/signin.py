"""`import-sign-in-groups FILE` and `export-sign-in-groups`: the group mapping as a file, for automation."""

from __future__ import annotations

import json
import sys

import click
from flask.cli import with_appcontext

from tracker.audit import CLI
from tracker.errors import ValidationFailed
from tracker.signin import operations


@click.command("import-sign-in-groups")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@with_appcontext
def import_groups_command(file) -> None:
    """Make the sign-in group mapping exactly FILE's: {"groups": [{"group", "role", "teams"}]}."""
    try:
        document = json.load(file)
    except (ValueError, UnicodeDecodeError) as exc:
        click.echo(f"Error: not JSON: {exc}", err=True)
        sys.exit(1)
    try:
        count = operations.replace_group_mappings(document, CLI)
    except ValidationFailed as exc:
        for path, reason in exc.errors.items():
            click.echo(f"Error: {path}: {reason}", err=True)
        sys.exit(1)
    click.echo(f"{count} group(s) mapped.")


@click.command("export-sign-in-groups")
@with_appcontext
def export_groups_command() -> None:
    """Print the sign-in group mapping as JSON (the form import-sign-in-groups reads)."""
    click.echo(json.dumps(operations.export_group_mappings(), indent=2))


COMMANDS = [import_groups_command, export_groups_command]
