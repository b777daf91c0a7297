"""`flask --app app ...` commands, one module per area."""

from __future__ import annotations

from flask import Flask


def register_commands(app: Flask) -> None:
    """Attach every command group to the app's CLI."""
    from tracker.commands import api, feeds, mail, register, synthetic

    for module in (register, synthetic, feeds, mail, api):
        for command in module.COMMANDS:
            app.cli.add_command(command)
