"""The CSV export opens safely in a spreadsheet."""

import csv
import io

from tracker.db import db
from tracker.models import Obligation
from tracker.register.exports import obligations_csv
from tests.factories import make_obligation


def test_csv_lists_obligations_and_neutralises_formulas(app):
    make_obligation(title="=HYPERLINK(\"http://evil\")", key="evil")
    make_obligation(title="Plain, with comma", key="plain")
    rows = list(csv.DictReader(io.StringIO(obligations_csv(
        db.session.scalars(db.select(Obligation)),
        "https://t.example"))))
    titles = {row["key"]: row["title"] for row in rows}
    assert titles["evil"].startswith("'=")
    assert titles["plain"] == "Plain, with comma"
    assert rows[0]["url"].startswith("https://t.example/obligations/")
