"""`vendor-link VENDOR OBLIGATION`: print the response URL of that vendor's request (making the link if needed)."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from tracker.audit import CLI
from tracker.db import db
from tracker.models import Obligation, Vendor, VendorRequest
from tracker.vendors.links import ensure_link, response_url


@click.command("vendor-link")
@click.argument("vendor_key", metavar="VENDOR")
@click.argument("obligation_key", metavar="OBLIGATION")
@with_appcontext
def vendor_link_command(vendor_key: str, obligation_key: str) -> None:
    """Print the response URL of VENDOR's request for OBLIGATION (both keys); the same URL until it is replaced."""
    vendor = db.session.scalar(select(Vendor).where(Vendor.key == vendor_key))
    if vendor is None:
        click.echo(f"Error: no vendor with key '{vendor_key}'", err=True)
        sys.exit(1)
    obligation = db.session.scalar(select(Obligation).where(Obligation.key == obligation_key,
                                                            Obligation.deleted_at.is_(None)))
    if obligation is None:
        click.echo(f"Error: no obligation with key '{obligation_key}'", err=True)
        sys.exit(1)
    request = db.session.scalar(select(VendorRequest).where(VendorRequest.vendor_id == vendor.id,
                                                            VendorRequest.obligation_id == obligation.id))
    if request is None:
        click.echo(f"Error: vendor '{vendor_key}' has no request for '{obligation_key}' (it is not in the "
                   "obligation's vendor scope)", err=True)
        sys.exit(1)
    click.echo(response_url(ensure_link(request, CLI)))


COMMANDS = [vendor_link_command]
