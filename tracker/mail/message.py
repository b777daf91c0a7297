"""Assembling an outbox row into an email.message.EmailMessage, and checking the result.

Header values built from user data (subject, display names) are cleaned
before the email library sees them (`header_text`): control characters and
every character Python counts as a line break go, and the opener of an RFC
2047 encoded word ("=?") is broken. The library decodes encoded words in a
value it is given, and Python builds without the CVE-2024-6923 fix write the
decoded CR/LF back raw, so a title "=?utf-8?q?=0D=0ABcc:...?=" would add
headers and replace the body. We do not rely on the interpreter for this:
`header_problem` reads the wire bytes and dispatch refuses to send a message
whose header block is not exactly the headers built here.
"""

from __future__ import annotations

import re
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

from tracker.fields import NOT_IN_A_LINE

# What has no place in one line (tracker.fields): C0 and C1 controls, DEL, the
# other characters str.splitlines() breaks at, and lone surrogates.
_LINE_BREAKS = re.compile(f"[{NOT_IN_A_LINE}]+")
# "=?" opens an encoded word; a zero-width space between them keeps the text
# readable and leaves nothing for a decoder to decode.
_ENCODED_WORD_OPENER = "=?"
_BROKEN_OPENER = "=\u200b?"

# List-Unsubscribe is written as it is (see build_message); past this length
# the line would break SMTP's limit of 998 octets, so the header is left out
# (the body still carries the link).
MAX_HEADER_LINE = 998

# The top-level headers build_message writes; the wire form must have these
# and no others, each once.
REQUIRED_HEADERS = ("from", "to", "subject", "date", "message-id", "mime-version", "content-type")
OPTIONAL_HEADERS = ("auto-submitted", "list-unsubscribe", "list-unsubscribe-post", "content-transfer-encoding")
# Vendor mail may carry the organization's reply-to address (checked as an email when saved): one
# plain address, nothing else on the line. Team mail never has one, so there it stays a sign of injection.
_REPLY_TO_LINE = re.compile(rb"Reply-To: [^\s@,;:<>\"()\[\]\\]+@[A-Za-z0-9.-]+")
_HEADER_LINE = re.compile(rb"([!-9;-~]+):")


def one_line(value: str) -> str:
    """Collapse control characters (CR, LF, tabs...) into single spaces."""
    return _LINE_BREAKS.sub(" ", value or "").strip()


def header_text(value: str) -> str:
    """User text made safe for a header: one line, no encoded-word opener."""
    return one_line(value).replace(_ENCODED_WORD_OPENER, _BROKEN_OPENER)


def build_message(row, sender: str, sent_at: datetime) -> EmailMessage:
    """The MIME message of an outbox row (anything with its attributes): text + HTML, optional .ics."""
    message = EmailMessage()
    message["From"] = Address(display_name="Deadline tracker", addr_spec=sender)
    message["To"] = Address(display_name=header_text(row.recipient_name), addr_spec=row.recipient)
    message["Subject"] = header_text(row.subject)
    message["Date"] = format_datetime(sent_at)
    message["Message-ID"] = row.message_id
    message["Auto-Submitted"] = "auto-generated"
    unsubscribe = f"<{one_line(row.unsubscribe_url)}>" if row.unsubscribe_url else ""
    if unsubscribe and " " not in unsubscribe and len("List-Unsubscribe: ") + len(unsubscribe) <= MAX_HEADER_LINE:
        # Stored raw, so the generator writes it as it is: the library would
        # fold a long URL into RFC 2047 encoded words, which mail clients do
        # not read as a link (RFC 2369 and RFC 8058 want a plain <https://...>).
        message.set_raw("List-Unsubscribe", unsubscribe)
        message.set_raw("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
    message.set_content(row.body_text)
    message.add_alternative(row.body_html, subtype="html")
    if row.ics:
        # The calendar goes next to the alternatives, so the message becomes
        # multipart/mixed with the alternatives as its first part.
        message.add_attachment(row.ics.encode("utf-8"), maintype="text", subtype="calendar",
                               filename="deadline.ics", params={"method": "PUBLISH"})
    return message


# refold_source="none": raw values (List-Unsubscribe) are written unfolded;
# the headers assigned as objects are folded by the policy as usual.
_WIRE_POLICY = SMTP.clone(refold_source="none")


def mime_bytes(message: EmailMessage) -> bytes:
    """The wire form (CRLF line ends), as stored in the outbox and handed to SMTP."""
    return message.as_bytes(policy=_WIRE_POLICY)


def header_problem(mime: bytes, allow_reply_to: bool = False) -> str | None:
    """Why these wire bytes must not be sent, or None when the header block is what we build.

    Checked on the bytes, not on the EmailMessage, so it holds whatever the
    email library did: every line of the header block is a header we write or
    a folded continuation, nothing else, and each header appears once.
    """
    head, separator, _ = bytes(mime).partition(b"\r\n\r\n")
    if not separator:
        return "the message has no body"
    seen: dict[str, int] = {}
    for line in head.split(b"\r\n"):
        if b"\r" in line or b"\n" in line or b"\x00" in line:
            return "a header contains a bare line break"
        if len(line) > MAX_HEADER_LINE:
            return "a header line is longer than 998 characters"
        if line[:1] in (b" ", b"\t"):
            if not seen:
                return "the header block starts with a continuation line"
            continue
        match = _HEADER_LINE.match(line)
        if match is None:
            return f"a header line is malformed: {line[:60]!r}"
        name = match.group(1).decode("ascii").lower()
        if name == "reply-to" and allow_reply_to and _REPLY_TO_LINE.fullmatch(line):
            pass
        elif name not in REQUIRED_HEADERS and name not in OPTIONAL_HEADERS:
            return f"unexpected header {match.group(1).decode('ascii')!r} (injected from user data?)"
        seen[name] = seen.get(name, 0) + 1
    repeated = sorted(name for name, count in seen.items() if count > 1)
    if repeated:
        return f"header {repeated[0]!r} appears more than once"
    missing = [name for name in REQUIRED_HEADERS if name not in seen]
    if missing:
        return f"header {missing[0]!r} is missing (the header block was cut short)"
    return None
