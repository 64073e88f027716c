from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WatchConfig(AppConfig):
    name = "qorgau.watch"
    label = "watch"
    verbose_name = _("Watching the watchers: unusual access and access reviews")
