from django.apps import AppConfig
from django.conf import settings


class LiveConfig(AppConfig):
    """The live change feed: the event log read per process and fanned out to open streams
    (`/live` in the web app), and the optional Redis doorbell that wakes it."""

    name = "docket.live"
    label = "live"

    def ready(self) -> None:
        if settings.DOCKET_LIVE_BACKEND == "redis":
            from docket.live import doorbell

            doorbell.install(settings.DOCKET_REDIS_URL)  # writers ring after each commit
