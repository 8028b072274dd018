from django.apps import AppConfig


class AggregationConfig(AppConfig):
    name = "aggregation"
    verbose_name = "Aggregation"
    default_auto_field = "django.db.models.BigAutoField"
