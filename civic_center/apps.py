from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CivicCenterConfig(AppConfig):
    name = "civic_center"
    verbose_name = _("Civic Center")
