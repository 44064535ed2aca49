"""Monitoring alert intakes API (docs/api.md)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["alerts"])
