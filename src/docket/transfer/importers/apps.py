from django.apps import AppConfig


class ImportersConfig(AppConfig):
    name = "docket.transfer.importers"
    label = "importers"
    verbose_name = "Importers"
    default_auto_field = "django.db.models.BigAutoField"
