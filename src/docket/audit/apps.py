from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "docket.audit"
    label = "audit"
