"""Is a delivery from the forge? Checked over the raw body bytes, before anything parses them,
in constant time (`hmac.compare_digest`). Pure functions: headers in, a verdict out.

- GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, body)>`.
- GitLab: no HMAC; the hook's secret token comes back verbatim in `X-Gitlab-Token`.
- Gitea and its kin: `<hex HMAC-SHA256(secret, body)>`, bare, in `X-Gitea-Signature`
  (Forgejo also sends `X-Forgejo-Signature`, Gogs sends `X-Gogs-Signature`).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

from docket.core.errors import DocketError

# Which header carries the proof, per provider, in the order they are looked for.
SIGNATURE_HEADERS = {
    "github": ("X-Hub-Signature-256",),
    "gitlab": ("X-Gitlab-Token",),
    "gitea": ("X-Forgejo-Signature", "X-Gitea-Signature", "X-Gogs-Signature"),
}


class BadSignature(DocketError):
    status = 401
    title = "Delivery not verified"


def _hmac_hex(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def _equal(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode("utf-8"))


def verify(provider: str, headers: Mapping[str, str], body: bytes, secret: str) -> None:
    """Raise BadSignature (401, saying which header was missing or wrong) unless the headers
    prove `body` was sent by someone holding `secret`."""
    names = SIGNATURE_HEADERS[provider]
    found = next(((name, headers[name]) for name in names if headers.get(name) is not None), None)
    if found is None:
        raise BadSignature(f"missing signature: send the {' or '.join(names)} header")
    name, given = found
    given = given.strip()
    if provider == "gitlab":
        ok = _equal(given, secret)
    elif provider == "github":
        ok = given.startswith("sha256=") and _equal(given[7:].lower(), _hmac_hex(secret, body))
    else:
        ok = _equal(given.lower(), _hmac_hex(secret, body))
    if not ok:
        what = "token" if provider == "gitlab" else "signature"
        raise BadSignature(
            f"the {name} {what} does not match this repository's secret "
            "(or the body changed on the way)"
        )
