"""Joining a report's documents into one PDF, with each page's furniture drawn on it.

The parts of a report are laid out as documents of their own (tracker.reports.pdf),
so none of them knows the whole document's page count; "Page N of M" is laid out
afterwards, in documents blank but for it, one page for each page of the report.
The running head is the same on every page but the cover: it is laid out once,
on one page. Each of these pages becomes a form XObject that a report page draws
after its own content (WeasyPrint's margin boxes cost some 2 ms a page each, so
the head is drawn from one shared form). The page's own content streams are kept
as they are (compressed, never parsed, which would cost seconds on a 500-page
report), only wrapped in q ... Q so that the graphics state they leave behind
(WeasyPrint flips the y axis) does not move what is drawn over them.
"""

from __future__ import annotations

import io

from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DecodedStreamObject, DictionaryObject, IndirectObject, NameObject, PdfObject

NUMBER, HEAD = NameObject("/PageNumber"), NameObject("/RunningHead")


def _add_stream(writer: PdfWriter, data: bytes, entries: dict[str, PdfObject] | None = None) -> IndirectObject:
    stream = DecodedStreamObject()
    stream.set_data(data)
    for key, value in (entries or {}).items():
        stream[NameObject(key)] = value
    # pypdf has no public call that adds a new object to a writer; content streams must be indirect.
    return writer._add_object(stream.flate_encode() if len(data) > 64 else stream)


def _as_form(writer: PdfWriter, page) -> IndirectObject:
    """A furniture page as a form XObject of the writer, with its own resources (fonts)."""
    return _add_stream(writer, page.get_contents().get_data(), {
        "/Type": NameObject("/XObject"), "/Subtype": NameObject("/Form"),
        "/BBox": ArrayObject(page.mediabox), "/Resources": page.raw_get("/Resources").clone(writer)})


def _raw_copy(dictionary: PdfObject) -> DictionaryObject:
    """A shallow copy keeping references as references (WeasyPrint shares one resource dictionary)."""
    source = dictionary.get_object() if dictionary is not None else DictionaryObject()
    return DictionaryObject({key: source.raw_get(key) for key in source})


def join(documents: list[bytes], numbers: list[bytes], running_head: bytes, metadata: dict[str, str]) -> bytes:
    """`documents` one after the other; page i carries page i of `numbers` (its documents one after
    the other: exactly one page for each page) and, but for the cover (page 1), `running_head`."""
    writer = PdfWriter()
    for content in documents:
        writer.append(io.BytesIO(content))
    number_pages = [page for content in numbers for page in PdfReader(io.BytesIO(content)).pages]
    if len(number_pages) != len(writer.pages):
        raise ValueError(f"page numbers for {len(number_pages)} pages, the report has {len(writer.pages)}")
    head = _as_form(writer, PdfReader(io.BytesIO(running_head)).pages[0])
    save = _add_stream(writer, b"q\n")
    draw_number = _add_stream(writer, b"\nQ\nq " + NUMBER.encode() + b" Do Q\n")
    draw_both = _add_stream(writer, b"\nQ\nq " + NUMBER.encode() + b" Do Q q " + HEAD.encode() + b" Do Q\n")
    for index, (page, number) in enumerate(zip(writer.pages, number_pages)):
        resources = _raw_copy(page.raw_get("/Resources"))
        xobjects = _raw_copy(resources.raw_get("/XObject") if "/XObject" in resources else None)
        xobjects[NUMBER] = _as_form(writer, number)
        if index:
            xobjects[HEAD] = head
        resources[NameObject("/XObject")] = xobjects
        page[NameObject("/Resources")] = resources
        contents = page.raw_get("/Contents") if "/Contents" in page else ArrayObject()
        own = list(contents.get_object()) if isinstance(contents.get_object(), ArrayObject) else [contents]
        page[NameObject("/Contents")] = ArrayObject([save, *own, draw_both if index else draw_number])
    writer.add_metadata(metadata)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
