from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LegamiConfig(AppConfig):
    name = "legami"
    verbose_name = _("Legami core")
