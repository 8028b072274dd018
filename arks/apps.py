from django.apps import AppConfig


class ArksConfig(AppConfig):
    name = "arks"
    verbose_name = "Identifiers"
    default_auto_field = "django.db.models.BigAutoField"
