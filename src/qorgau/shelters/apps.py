from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SheltersConfig(AppConfig):
    name = "qorgau.shelters"
    label = "shelters"
    verbose_name = _("Crisis centres and shelters")
