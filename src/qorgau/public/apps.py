from django.apps import AppConfig


class PublicConfig(AppConfig):
    name = "qorgau.public"
    label = "public"
    verbose_name = "Public help page"
