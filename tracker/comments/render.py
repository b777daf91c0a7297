"""Comment text to safe HTML, and the mentions in it (pure: no Flask, no database).

Two maintained libraries, each doing one job: markdown-it-py renders a
CommonMark subset with raw HTML turned off (so `<script>` is shown as text),
and nh3 (the Rust `ammonia` sanitizer) then keeps only the tags, attributes
and URL schemes below, whatever the renderer produced. A `javascript:` link
is dropped by both; an event-handler attribute can only appear as text.
"""

from __future__ import annotations

import re

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = {"p", "br", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li", "a", "hr"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = {"http", "https", "mailto"}
BODY_MAX = 10_000
# "@dana@example.com": a mention names the person by their email.
MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})")

_markdown = (MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
             .disable(["image", "html_inline", "html_block", "heading", "lheading", "table"], ignoreInvalid=True))


def render_comment(text: str) -> str:
    """The comment as sanitized HTML: paragraphs, emphasis, code, lists, quotes and http(s)/mailto links."""
    html = _markdown.render(text or "")
    return nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=URL_SCHEMES,
                     link_rel="nofollow noopener noreferrer")


def mentioned_emails(text: str) -> list[str]:
    """The emails mentioned with '@' in `text`, lower-cased, in order, each once."""
    seen: list[str] = []
    for match in MENTION.finditer(text or ""):
        email = match.group(1).lower().rstrip(".")
        if email not in seen:
            seen.append(email)
    return seen
