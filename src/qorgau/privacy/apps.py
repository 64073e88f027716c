from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "qorgau.privacy"
    label = "privacy"
    verbose_name = _("Privacy rights: export and correction")
