from django.apps import AppConfig
from django.db.models.signals import post_migrate, pre_migrate


class IssuesConfig(AppConfig):
    name = "docket.issues"
    label = "issues"

    def ready(self) -> None:
        from docket.issues import search_index

        # The full-text index's view and triggers step aside while migrations run.
        pre_migrate.connect(search_index.before_migrate, sender=self, dispatch_uid="docket.fts")
        post_migrate.connect(search_index.after_migrate, sender=self, dispatch_uid="docket.fts")
