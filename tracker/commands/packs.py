"""Commands for packs: import, export, and the demo register (seed-demo)."""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from tracker.audit import CLI
from tracker.commands import fail
from tracker.config import write_once
from tracker.db import db
from tracker.people import operations as people
from tracker.models import Team, User
from tracker.packs.export import export_pack_json
from tracker.packs.importer import import_pack_text
from tracker.packs.validate import PackInvalid
from tracker.vendors.demo import seed_demo_answers

DEMO_PACK = Path(__file__).resolve().parent.parent / "packs" / "data" / "demo.json"
DEMO_ADMIN_EMAIL = "admin@example.com"


def _import(text: bytes) -> None:
    try:
        report = import_pack_text(text, CLI)
    except PackInvalid as exc:
        click.echo(f"Error: the pack was refused, nothing was imported ({len(exc.errors)} problems):", err=True)
        for line in exc.errors:
            click.echo(f"  {line}", err=True)
        sys.exit(1)
    for line in report.lines():
        click.echo(line)


@click.command("import-pack")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@with_appcontext
def import_pack_command(file: str) -> None:
    """Load or update a regulation pack (JSON); idempotent, matched by key."""
    try:
        text = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
    except OSError as exc:
        fail(f"cannot read {file}: {exc.strerror}")
    _import(text)


@click.command("export-pack")
@click.argument("file", required=False, type=click.Path(dir_okay=False))
@with_appcontext
def export_pack_command(file: str | None) -> None:
    """Write the whole register as a pack (to stdout without FILE)."""
    text = export_pack_json()
    if file is None:
        click.echo(text, nl=False)
        return
    try:
        Path(file).write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {file}: {exc.strerror}")
    click.echo(f"Wrote {file}")


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Only when the register has no teams yet (first run).")
@with_appcontext
def seed_demo_command(if_empty: bool) -> None:
    """Load the demo pack and a demo admin (prints the login); idempotent.

    The admin's password is TRACKER_DEMO_PASSWORD when set. Otherwise a random
    one is made once, kept in instance/demo_password (owner-only), printed,
    and must be replaced at the first sign-in.
    """
    if if_empty and db.session.scalar(select(Team.id).limit(1)) is not None:
        click.echo("The register already has data; demo not loaded.")
        _echo_pending_login()
        return
    _import(DEMO_PACK.read_bytes())
    seed_demo_answers(CLI)
    chosen = current_app.config.get("TRACKER_DEMO_PASSWORD")
    password = chosen or write_once(_password_file(), lambda: secrets.token_urlsafe(12))
    admin = db.session.scalar(select(User).where(User.email == DEMO_ADMIN_EMAIL))
    teams = list(db.session.scalars(select(Team).order_by(Team.key)))
    if admin is None:
        admin = people.create_user(DEMO_ADMIN_EMAIL, "Demo Admin", "admin", CLI, password=password, teams=teams,
                                   commit=False)
    elif admin.password_hash is None:
        people.set_password(admin, password, CLI, commit=False)
    else:
        db.session.commit()
        click.echo(f"Demo admin: {DEMO_ADMIN_EMAIL} (already has a password; not changed)")
        _echo_pending_login()
        return
    admin.must_change_password = not chosen  # a printed password is known to whoever saw the output
    db.session.commit()
    _echo_login(password, forced=not chosen)


def _password_file() -> Path:
    return Path(current_app.instance_path) / "demo_password"


def _echo_login(password: str, forced: bool) -> None:
    click.echo(f"Demo admin: {DEMO_ADMIN_EMAIL} / password: {password}")
    if forced:
        click.echo("(kept in instance/demo_password; you choose a new password at the first sign-in)")


def _echo_pending_login() -> None:
    """Print the generated demo login again while it is still the admin's password."""
    admin = db.session.scalar(select(User).where(User.email == DEMO_ADMIN_EMAIL))
    path = _password_file()
    if admin is None or not admin.must_change_password or not path.exists():
        return
    _echo_login(path.read_text().strip(), forced=True)


COMMANDS = [import_pack_command, export_pack_command, seed_demo_command]
