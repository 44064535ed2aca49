"""Outbound webhooks and chat: events leave Docket, signed, retried and logged."""
