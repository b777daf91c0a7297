"""The timeline SVG is well-formed, escaped, and marks projected items in words and shape."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date

from tracker.register.timeline import (Marker, Window, add_months, default_range, label_lines, month_count,
                                      month_start, render_svg)

SVG = "{http://www.w3.org/2000/svg}"


def test_svg_is_accessible_well_formed_and_escaped():
    svg = render_svg(date(2026, 1, 1), 18, date(2026, 11, 29),
                     [Marker("Act <enacted> & signed", date(2026, 9, 1), "expected", "September 2026", "/events/1")],
                     [Window("Verify <chips>", date(2027, 2, 28), "projected", date(2026, 9, 1), "/obligations/2"),
                      Window("Certify", date(2026, 7, 1), "firm", None, "/obligations/3", overdue=True)])
    root = ET.fromstring(svg)
    # A group, not an image: the items inside are links (axe-core: nested-interactive).
    assert root.get("role") == "group" and root.get("aria-labelledby") == "tl-title tl-desc"
    assert root.find(f"{SVG}title").text and "1 source events and 2 deadlines" in root.find(f"{SVG}desc").text
    text = " ".join("".join(node.itertext()) for node in root.iter(f"{SVG}text"))
    assert "Act <enacted> & signed (expected)" in text and "Verify <chips> (projected)" in text
    assert "Certify (overdue)" in text and "Today 2026-11-29" in text and "Jan" in text and "2027" in text
    classes = [node.get("class") for node in root.iter(f"{SVG}rect")]
    assert classes == ["tl-window tl-projected"]
    assert "<chips>" not in svg  # escaped in the markup


def test_out_of_range_items_are_clamped_and_today_outside_is_not_drawn():
    svg = render_svg(date(2030, 1, 1), 3, date(2026, 11, 29), [],
                     [Window("Far", date(2035, 1, 1), "firm", date(2020, 1, 1))])
    assert "Today" not in svg
    ET.fromstring(svg)


def test_query_arguments_are_sanitised():
    assert month_count("abc") == 18 and month_count("-4") == 3 and month_count("999") == 60
    assert month_start("2026-07", date(2000, 1, 1)) == date(2026, 7, 1)
    assert month_start("2026-13", date(2000, 1, 1)) == date(2000, 1, 1)
    assert month_start("<x>", date(2000, 1, 1)) == date(2000, 1, 1)
    assert add_months(date(2026, 11, 15), 3) == date(2027, 2, 1)
    assert add_months(date(2026, 1, 1), -3) == date(2025, 10, 1)


def test_long_labels_wrap_instead_of_being_cut_and_links_start_with_the_visible_words():
    title = "Export-control procedures in force for every data-centre GPU shipment abroad"
    svg = render_svg(date(2026, 1, 1), 12, date(2026, 12, 7), [],
                     [Window(title, date(2026, 11, 27), "projected", date(2026, 6, 1), "/obligations/9",
                             overdue=True)])
    root = ET.fromstring(svg)
    link = root.find(f"{SVG}a")
    shown = "".join(link.find(f"{SVG}text").itertext())
    assert shown == f"{title} (projected) (overdue)" and "…" not in svg
    assert len(label_lines(shown)) > 1
    assert link.get("aria-label").startswith(shown + ": ")


def test_the_default_range_starts_at_the_earliest_open_overdue_deadline_and_reaches_what_is_ahead():
    today = date(2026, 12, 7)
    # Overdue since May: start there; the latest open deadline (Feb 2028) sets the end, within 36 months.
    assert default_range(today, date(2026, 5, 20), date(2028, 2, 1)) == (date(2026, 5, 1), 22)
    # Nothing overdue: start this month, show at least 12 months.
    assert default_range(today, None, None) == (date(2026, 12, 1), 12)
    assert default_range(today, None, date(2027, 3, 1)) == (date(2026, 12, 1), 12)
    # Very old overdue items and far deadlines: capped at 36 months from the start.
    assert default_range(today, date(2020, 1, 1), date(2040, 1, 1)) == (date(2020, 1, 1), 36)
