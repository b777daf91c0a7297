"""Standard Webhooks signatures: `webhook-id`, `webhook-timestamp`, `webhook-signature`.

The signature is `v1,` + base64(HMAC-SHA256(secret, f"{id}.{timestamp}.{body}")),
computed by the `standardwebhooks` package itself, so a receiver using any
Standard Webhooks library verifies it. The secret is `whsec_` + base64 of 32
random bytes. The id is fixed when a delivery is queued and sent unchanged on
every retry (receivers deduplicate by it); the timestamp is each attempt's.
"""

from __future__ import annotations

import base64
import secrets
import uuid
from datetime import datetime, timezone

from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32


def new_secret() -> str:
    """A fresh signing secret: 'whsec_' and 44 base64 characters (256 random bits)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def new_webhook_id() -> str:
    """A unique message id ('msg_' and 32 hex characters)."""
    return f"msg_{uuid.uuid4().hex}"


def signed_headers(secret: str, webhook_id: str, body: str, at: datetime) -> dict[str, str]:
    """The three Standard Webhooks headers for one attempt at `at`."""
    at = at.astimezone(timezone.utc)
    signature = Webhook(secret).sign(msg_id=webhook_id, timestamp=at, data=body)
    return {"webhook-id": webhook_id, "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": signature}
