from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "docket.web"
    label = "web"

    def ready(self) -> None:
        from docket.web import doorbell

        doorbell.install()  # live updates over Redis, when DOCKET_LIVE_BACKEND=redis
