"""Assembling an outbox row into an email.message.EmailMessage.

Every header value that can carry user data (subject, display names) goes
through the email library's header API, which encodes it; CR and LF are
removed first as well, so a title like "x\\r\\nBcc: someone" can never add a
header.
"""

from __future__ import annotations

import re
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from datetime import datetime

_LINE_BREAKS = re.compile(r"[\r\n\x00-\x1f\x7f]+")


def one_line(value: str) -> str:
    """Collapse control characters (CR, LF, tabs...) into single spaces."""
    return _LINE_BREAKS.sub(" ", value or "").strip()


def build_message(row, sender: str, sent_at: datetime) -> EmailMessage:
    """The MIME message of an outbox row (anything with its attributes): text + HTML, optional .ics."""
    message = EmailMessage()
    message["From"] = Address(display_name="Deadline tracker", addr_spec=sender)
    message["To"] = Address(display_name=one_line(row.recipient_name), addr_spec=row.recipient)
    message["Subject"] = one_line(row.subject)
    message["Date"] = format_datetime(sent_at)
    message["Message-ID"] = row.message_id
    message["Auto-Submitted"] = "auto-generated"
    if row.unsubscribe_url:
        message["List-Unsubscribe"] = f"<{row.unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(row.body_text)
    message.add_alternative(row.body_html, subtype="html")
    if row.ics:
        # The calendar goes next to the alternatives, so the message becomes
        # multipart/mixed with the alternatives as its first part.
        message.add_attachment(row.ics.encode("utf-8"), maintype="text", subtype="calendar",
                               filename="deadline.ics", params={"method": "PUBLISH"})
    return message


def mime_bytes(message: EmailMessage) -> bytes:
    """The wire form (CRLF line ends), as stored in the outbox and handed to SMTP."""
    return message.as_bytes(policy=SMTP)
