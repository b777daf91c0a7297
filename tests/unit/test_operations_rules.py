"""Pure rules of the operations domain: who may scrape /metrics, and rows as JSON lines and back."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tracker.db import UTCDateTime
from tracker.operations import access, archive, rows

LOOPBACK = access.parse_networks(access.LOOPBACK)
OFFICE = access.parse_networks("10.1.0.0/16, 192.0.2.7")


@pytest.mark.parametrize("address, header, token, networks, configured, status", [
    ("127.0.0.1", None, None, LOOPBACK, False, 200),
    ("::1", None, None, LOOPBACK, False, 200),
    ("10.1.2.3", None, None, LOOPBACK, False, 403),
    ("10.1.2.3", None, None, OFFICE, True, 200),
    ("::ffff:10.1.2.3", None, None, OFFICE, True, 200),  # IPv4 seen through an IPv6 socket
    ("not an address", None, None, OFFICE, True, 403),
    ("127.0.0.1", None, "tok", LOOPBACK, False, 401),  # with a token, loopback alone is not enough
    ("203.0.113.9", "Bearer tok", "tok", LOOPBACK, False, 200),
    ("203.0.113.9", "bearer tok", "tok", LOOPBACK, False, 200),
    ("203.0.113.9", "Bearer tok2", "tok", LOOPBACK, False, 401),
    ("203.0.113.9", "Basic tok", "tok", LOOPBACK, False, 401),
    ("203.0.113.9", "Bearer tok", "tok", OFFICE, True, 403),  # token and an address list: both needed
    ("10.1.2.3", "Bearer tok", "tok", OFFICE, True, 200),
])
def test_who_may_scrape(address, header, token, networks, configured, status):
    assert access.decide(address, header, token, networks, configured).status == status


def test_a_bad_address_in_the_allow_list_names_the_setting():
    with pytest.raises(ValueError, match="TRACKER_METRICS_ALLOW: 'intranet'"):
        access.parse_networks("10.0.0.0/8,intranet")


def test_every_column_type_survives_a_json_line():
    table = sa.Table("t", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("at", UTCDateTime), sa.Column("on", sa.Date), sa.Column("data", sa.LargeBinary),
                     sa.Column("doc", sa.JSON), sa.Column("amount", sa.Numeric), sa.Column("flag", sa.Boolean),
                     sa.Column("parent_id", sa.ForeignKey("t.id")))
    values = [7, datetime(2026, 12, 7, 9, 30, 1, 123456, tzinfo=timezone.utc), date(2027, 2, 28), b"\x00\xffPDF",
              {"a": [1, "b"]}, Decimal("12.50"), True, 3]
    line = rows.row_line(values)
    assert line.endswith(b"\n") and b"\n" not in line[:-1]
    decoded = [rows.decoder(column)(value) for column, value in zip(table.columns, json.loads(line))]
    assert decoded == values
    assert [rows.decoder(column)(None) for column in table.columns] == [None] * len(values)
    assert rows.binary_columns(table) == ["data"] and rows.self_references(table) == ["parent_id"]


def test_the_key_check_and_the_manifest_mac_depend_on_the_key():
    manifest = {"format": archive.FORMAT, "tables": [{"name": "teams", "rows": 2}]}
    assert archive.key_check("one") == archive.key_check("one") != archive.key_check("two")
    assert "one" not in archive.key_check("one")
    mac = archive.manifest_mac(manifest, "one")
    assert archive.manifest_mac({**manifest, "mac": mac}, "one") == mac  # its own mac is left out
    assert archive.manifest_mac({**manifest, "tables": [{"name": "teams", "rows": 3}]}, "one") != mac
    assert archive.manifest_mac(manifest, "two") != mac
