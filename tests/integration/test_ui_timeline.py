"""The timeline SVG is well-formed, escaped, and marks projected items in words and shape."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date

from tracker.register.timeline import Marker, Window, add_months, month_count, month_start, render_svg

SVG = "{http://www.w3.org/2000/svg}"


def test_svg_is_accessible_well_formed_and_escaped():
    svg = render_svg(date(2026, 1, 1), 18, date(2026, 11, 29),
                     [Marker("Act <enacted> & signed", date(2026, 9, 1), "expected", "September 2026", "/events/1")],
                     [Window("Verify <chips>", date(2027, 2, 28), "projected", date(2026, 9, 1), "/obligations/2"),
                      Window("Certify", date(2026, 7, 1), "firm", None, "/obligations/3", overdue=True)])
    root = ET.fromstring(svg)
    assert root.get("role") == "img"
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
