from django.apps import AppConfig


class AttachmentsConfig(AppConfig):
    name = "docket.attachments"
    label = "attachments"
