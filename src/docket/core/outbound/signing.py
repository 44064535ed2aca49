"""Standard Webhooks signing (standardwebhooks.com): the `whsec_` secret, and the three headers
a receiver verifies with any Standard Webhooks library. The HMAC is the `standardwebhooks`
package's own, so what Docket signs is what its verifier checks."""

from __future__ import annotations

import base64
import datetime as dt
import secrets

from standardwebhooks.webhooks import Webhook

SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's prefix, not a secret
SECRET_BYTES = 32


def new_secret() -> str:
    """A fresh signing secret: `whsec_` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def new_message_id() -> str:
    """A delivery's `webhook-id`: the same for every attempt of it, so receivers can
    drop repeats."""
    return "msg_" + secrets.token_urlsafe(18)


def signed_headers(
    secret: str, message_id: str, moment: dt.datetime, body: bytes
) -> dict[str, str]:
    """The headers of one attempt: its id, the attempt's time and the signature over both and
    the body bytes exactly as sent."""
    signature = Webhook(secret).sign(msg_id=message_id, timestamp=moment, data=body)
    return {
        "Content-Type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": signature,
    }
