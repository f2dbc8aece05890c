from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LegamiConfig(AppConfig):
    name = "legami"
    verbose_name = _("Legami core")

    def ready(self) -> None:
        from allauth.account.decorators import secure_admin_login
        from django.contrib import admin

        from legami import signals  # noqa: F401 - connects the receivers

        # The admin logs people in through allauth's login page, with its rate limits and
        # the second factor, instead of its own form.
        admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]
