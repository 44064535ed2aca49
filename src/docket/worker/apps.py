from django.apps import AppConfig


class WorkerConfig(AppConfig):
    """The background worker: background jobs (Django's Tasks API), the event-log consumers
    (notifications now; rules, webhooks and chat later) and the periodic sweeps."""

    name = "docket.worker"
    label = "worker"
