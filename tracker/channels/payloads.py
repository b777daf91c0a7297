"""Request bodies for each channel kind, built from an event type and its items (pure).

An item is a dict with a `title` and optionally `url`, `due_date` (ISO text),
`detail` (one line of words) and any other JSON-able keys, which only the
generic webhook body carries. Slack gets Block Kit (a `text` fallback for
notifications plus `section` blocks in mrkdwn), Teams gets an Adaptive Card in
the `attachments` envelope that Workflows webhooks expect, a webhook gets
`{type, timestamp, data}` as the Standard Webhooks specification suggests.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

KINDS = ("slack", "teams", "webhook")
EVENT_TYPES = (
    "deadline.upcoming",
    "deadline.overdue",
    "deadline.changed",
    "event.recorded",
    "proposal.created",
    "vendor_request.submitted",
    "digest.weekly",
    "event.stale",
    "obligation.assigned",
    "comment.created",
)
# Chatty types a channel gets only when it names them (never by default).
OPT_IN_EVENT_TYPES = ("comment.created",)
DEFAULT_EVENT_TYPES = tuple(name for name in EVENT_TYPES if name not in OPT_IN_EVENT_TYPES)
TEST_EVENT = "channel.test"

HEADLINES = {
    "deadline.upcoming": ("deadline coming up", "deadlines coming up"),
    "deadline.overdue": ("deadline overdue", "deadlines overdue"),
    "deadline.changed": ("deadline changed", "deadlines changed"),
    "event.recorded": ("event recorded", "events recorded"),
    "proposal.created": ("new proposal", "new proposals"),
    "vendor_request.submitted": ("vendor request submitted", "vendor requests submitted"),
    "digest.weekly": ("item in the weekly digest", "items in the weekly digest"),
    "event.stale": ("estimate passed: record what happened or move the estimate",
                    "estimates passed: record what happened or move the estimates"),
    "obligation.assigned": ("obligation assigned", "obligations assigned"),
    "comment.created": ("new comment", "new comments"),
    TEST_EVENT: ("test message", "test messages"),
}
# Slack allows 50 blocks per message and Teams cards grow unreadable long
# before that: past this many items the rest are summarised in one line.
MAX_LISTED = 40
CARD_VERSION = "1.4"
CARD_TYPE = "application/vnd.microsoft.card.adaptive"


def headline(event_type: str, count: int, team_name: str) -> str:
    """'3 deadlines coming up for Procurement'."""
    one, many = HEADLINES.get(event_type, ("notification", "notifications"))
    return f"{count} {one if count == 1 else many} for {team_name}"


def _line(item: dict) -> str:
    parts = [str(item.get("title", "")).strip() or "(untitled)"]
    if item.get("due_date"):
        parts.append(f"due {item['due_date']}")
    if item.get("detail"):
        parts.append(str(item["detail"]))
    return " · ".join(parts)


def slack_escape(text: str) -> str:
    """Slack mrkdwn control characters, escaped as its documentation asks."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_payload(event_type: str, items: list[dict], team_name: str) -> dict:
    """Block Kit: a bold headline section, one section per item, a context line for the rest."""
    title = headline(event_type, len(items), team_name)
    blocks: list[dict] = [{"type": "section", "text": {"type": "mrkdwn", "text": f"*{slack_escape(title)}*"}}]
    for item in items[:MAX_LISTED]:
        text = slack_escape(_line(item))
        url = item.get("url")
        if url:
            name = slack_escape(str(item.get("title", "")).strip() or "(untitled)")
            text = f"<{url}|{name}>" + text[len(name):]
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}})
    if len(items) > MAX_LISTED:
        blocks.append({"type": "context", "elements": [
            {"type": "mrkdwn", "text": f"and {len(items) - MAX_LISTED} more"}]})
    return {"text": title, "blocks": blocks}


def _card_escape(text: str) -> str:
    # Adaptive Card TextBlocks read a subset of Markdown: keep titles literal.
    for char in "\\*_[]":
        text = text.replace(char, "\\" + char)
    return text


def teams_payload(event_type: str, items: list[dict], team_name: str) -> dict:
    """An Adaptive Card 1.4 in the message envelope of Teams Workflows webhooks."""
    title = headline(event_type, len(items), team_name)
    body: list[dict] = [{"type": "TextBlock", "text": title, "weight": "Bolder", "size": "Medium", "wrap": True}]
    for item in items[:MAX_LISTED]:
        text = _card_escape(_line(item))
        if item.get("url"):
            name = _card_escape(str(item.get("title", "")).strip() or "(untitled)")
            text = f"[{name}]({item['url']})" + text[len(name):]
        body.append({"type": "TextBlock", "text": text, "wrap": True, "spacing": "Small"})
    if len(items) > MAX_LISTED:
        body.append({"type": "TextBlock", "text": f"and {len(items) - MAX_LISTED} more", "isSubtle": True,
                     "wrap": True})
    card = {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard",
            "version": CARD_VERSION, "body": body}
    return {"type": "message", "attachments": [{"contentType": CARD_TYPE, "contentUrl": None, "content": card}]}


def webhook_payload(event_type: str, items: list[dict], team: dict, at: datetime) -> dict:
    """Standard Webhooks body: the event type, when it happened (UTC, ISO 8601) and the data."""
    stamp = at.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    return {"type": event_type, "timestamp": stamp,
            "data": {"team": team, "summary": headline(event_type, len(items), team.get("name", "")),
                     "items": items}}


def build_body(kind: str, event_type: str, items: list[dict], team: dict, at: datetime) -> str:
    """The exact JSON text to send (stored once, so every retry sends the same bytes)."""
    if kind == "slack":
        payload = slack_payload(event_type, items, team.get("name", ""))
    elif kind == "teams":
        payload = teams_payload(event_type, items, team.get("name", ""))
    elif kind == "webhook":
        payload = webhook_payload(event_type, items, team, at)
    else:
        raise ValueError(f"unknown channel kind {kind!r}")
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str)
