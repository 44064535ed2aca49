from __future__ import annotations

from django.apps import AppConfig


class VcsConfig(AppConfig):
    """Connected repositories: inbound push and pull-request deliveries"""

    name = "docket.integrations.vcs"
    label = "integrations_vcs"
