"""Vendor-mail item keys as a typed value: the text stored is unchanged, and reading it back is one rule."""

from tracker.vendors.mail.queue import ItemKey


def test_a_key_is_stored_as_the_text_planners_always_wrote():
    assert str(ItemKey("vendor_reminder", 12, (3, 7, 5))) == "vendor_reminder:12:3:7:5"
    assert str(ItemKey("vendor_request", 12, (5,))) == "vendor_request:12:5"


def test_the_requests_a_message_is_about_are_read_from_its_keys():
    assert ItemKey.parse("vendor_change:41:2:9").request_id == 41
    assert ItemKey.parse("vendor_overdue:7:0:None:3").request_id == 7


def test_keys_about_other_rows_name_no_request():
    assert ItemKey.parse("vendor_receipt:ab12cd:3") is None  # a submission id, not a row id
    assert ItemKey.parse("vendor_progress:5:2026-12-07:1").request_id is None  # an obligation's summary
    assert ItemKey.parse("stale_estimate:9:2026-W50:4").request_id is None
