from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    name = "docket.core"
    label = "core"

    def ready(self) -> None:
        from docket.core.statistics import analyze_new_indexes

        # Once per `migrate` (core is the sender once), after every app's migrations ran.
        post_migrate.connect(analyze_new_indexes, sender=self, dispatch_uid="docket.analyze")
