from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "docket.projects"
    label = "projects"
