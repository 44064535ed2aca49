from __future__ import annotations

from django.apps import AppConfig


class AlertsConfig(AppConfig):
    """Monitoring alert intakes"""

    name = "docket.integrations.alerts"
    label = "integrations_alerts"
