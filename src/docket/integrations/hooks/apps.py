from __future__ import annotations

from django.apps import AppConfig


class HooksConfig(AppConfig):
    """Outbound webhooks and chat channels"""

    name = "docket.integrations.hooks"
    label = "integrations_hooks"
