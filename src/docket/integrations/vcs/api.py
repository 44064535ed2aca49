"""Connected repositories: inbound push and pull-request deliveries API (docs/api.md)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["vcs"])
