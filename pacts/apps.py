from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PactsConfig(AppConfig):
    name = "pacts"
    verbose_name = _("Generative pacts")

    def ready(self) -> None:
        """Add the app's panels to the core's pages: the review reminders on the
        dashboard, the hours balance on an organisation's page."""
        from legami.dashboard import DASHBOARD, ORGANISATION, PERSON, register_panel
        from pacts.views.follow import dashboard_panel, organisation_hours_panel
        from pacts.views.pages import person_pacts_panel

        register_panel(
            "pacts/partials/follow_dashboard_panel.html", dashboard_panel, slot=DASHBOARD
        )
        register_panel(
            "pacts/partials/follow_organisation_hours.html",
            organisation_hours_panel,
            slot=ORGANISATION,
        )
        register_panel("pacts/partials/person_pacts.html", person_pacts_panel, slot=PERSON)
        # The pacts' part of a person's file in the GDPR export and anonymisation.
        from pacts import gdpr

        gdpr.register()
