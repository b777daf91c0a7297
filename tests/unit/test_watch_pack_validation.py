"""A source's `watch` in a pack: validated with paths, without a database."""

from __future__ import annotations

import pytest

from tracker.packs.validate import PackInvalid, validate_pack


def pack(watch: dict, events: list | None = None) -> dict:
    return {"pack": "watched", "sources": [
        {"key": "csa", "title": "Chip Security Act", "kind": "bill", "jurisdiction": "US", "watch": watch},
        {"key": "other", "title": "Other", "kind": "bill", "jurisdiction": "US"}],
        "events": events if events is not None else [
            {"key": "csa-enacted", "source": "csa", "title": "Enacted", "status": "expected", "date": "2027-01"},
            {"key": "other-enacted", "source": "other", "title": "Other enacted", "status": "speculative"}]}


def errors(data: dict) -> list[str]:
    with pytest.raises(PackInvalid) as caught:
        validate_pack(data)
    return caught.value.errors


def test_a_watch_is_read_into_its_spec_with_the_item_normalised():
    spec = validate_pack(pack({"provider": "congress", "bill": "119-HR-03447",
                               "stages": {"enacted": "csa-enacted"}, "auto_apply": True})).sources[0].watch
    assert (spec.provider, spec.kind, spec.item, spec.stages, spec.auto_apply) == (
        "congress", "bill", "119-hr-3447", (("enacted", "csa-enacted"),), True)
    assert validate_pack(pack({"provider": "federal_register", "docket": "BIS-2026-0001"})).sources[0].watch.kind == \
        "docket"


def test_each_problem_of_a_watch_is_reported_with_its_path():
    found = errors(pack({"provider": "congress", "bill": "HR 3447", "stages": {
        "enacted": "other-enacted", "adopted": "csa-enacted", "passed_committee": "nowhere"}, "auto_apply": "yes",
        "color": "red"}))
    text = "\n".join(found)
    assert "sources[0].watch.color: unknown field" in text
    assert "sources[0].watch.bill: 'HR 3447' is not a bill reference" in text
    assert "sources[0].watch.stages.adopted: unknown stage 'adopted'" in text
    assert "sources[0].watch.stages.enacted: event 'other-enacted' belongs to source 'other'" in text
    assert "sources[0].watch.stages.passed_committee: unknown event 'nowhere'" in text
    assert "sources[0].watch.auto_apply: expected true or false" in text


def test_a_watch_names_exactly_one_item_its_provider_knows():
    assert any("give exactly one item" in e for e in errors(pack({"provider": "congress"})))
    assert any("sources[0].watch.docket:" in e and "not a docket" in e
               for e in errors(pack({"provider": "congress", "docket": "BIS-2026-0001"})))
    assert any("unknown provider 'regulations_gov'" in e for e in errors(pack({"provider": "regulations_gov",
                                                                              "docket": "x"})))
