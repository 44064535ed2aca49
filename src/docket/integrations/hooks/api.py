"""Outbound webhooks and chat channels API (docs/api.md)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["hooks"])
