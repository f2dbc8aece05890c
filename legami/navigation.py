"""What the navigation offers to whom.

An entry is shown when the person may use it: ``None`` for everybody, ``"authenticated"``
for anyone logged in, ``"staff"`` for Django staff, or a set of roles. Each strategy's
issue adds its own entries here; the pages themselves still ask the access policy.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from legami.roles import Role, active_roles


@dataclass(frozen=True)
class NavItem:
    url_name: str
    label: str | Promise
    audience: str | frozenset[str] | None = None


NAV_ITEMS: tuple[NavItem, ...] = (
    NavItem("legami:home", _("Home")),
    NavItem("partners:organisation_list", _("The network")),
    NavItem("legami:dashboard", _("Dashboard"), "authenticated"),
    NavItem("labs:meeting_list", _("Community labs")),
    NavItem("civic_center:home", _("Civic Center")),
    NavItem("fundraising:campaign_list", _("Campaigns")),
    NavItem("reports:public_figures", _("In figures")),
    NavItem(
        "fundraising:desk", _("Fundraising desk"), frozenset({Role.FUNDRAISER, Role.NETWORK_ADMIN})
    ),
    NavItem("civic_center:offer_list", _("Offers"), frozenset({Role.PARTNER_STAFF})),
    NavItem(
        "civic_center:run_list",
        _("Matching"),
        frozenset({Role.COORDINATOR, Role.AMBITO_ADMIN, Role.NETWORK_ADMIN}),
    ),
    NavItem(
        "beneficiaries:person_list", _("Case files"), frozenset({Role.OPERATOR, Role.COORDINATOR})
    ),
    NavItem(
        "pacts:pact_list",
        _("Pacts"),
        frozenset({Role.OPERATOR, Role.COORDINATOR, Role.PARTNER_STAFF}),
    ),
    NavItem(
        "labs:manage",
        _("Run labs"),
        frozenset({Role.FACILITATOR, Role.AMBITO_ADMIN, Role.NETWORK_ADMIN}),
    ),
    NavItem(
        "research:pathway_list",
        _("Research pathways"),
        frozenset({Role.RESEARCHER, Role.NETWORK_ADMIN}),
    ),
    NavItem("research:survey_list", _("Surveys"), frozenset({Role.RESEARCHER})),
    NavItem(
        "research:finding_list",
        _("Library"),
        frozenset({Role.RESEARCHER, Role.COORDINATOR, Role.FACILITATOR, Role.NETWORK_ADMIN}),
    ),
    NavItem(
        "research:observatory",
        _("Observatory"),
        frozenset({Role.RESEARCHER, Role.AMBITO_ADMIN, Role.NETWORK_ADMIN}),
    ),
    NavItem(
        "reports:report_list",
        _("Reports"),
        frozenset({Role.AMBITO_ADMIN, Role.COORDINATOR, Role.NETWORK_ADMIN}),
    ),
    NavItem("reports:coordination", _("Coordination"), frozenset({Role.COORDINATOR})),
    NavItem("labs:referred_needs", _("Needs from the labs"), frozenset({Role.COORDINATOR})),
    NavItem("beneficiaries:referral_inbox", _("Referrals"), frozenset({Role.COORDINATOR})),
    NavItem("beneficiaries:case_import", _("Import cases"), frozenset({Role.COORDINATOR})),
    NavItem("legami:access_log", _("Access log"), frozenset({Role.DPO, Role.COORDINATOR})),
    NavItem("swagger-ui", _("API"), "authenticated"),
    NavItem("admin:index", _("Administration"), "staff"),
)


def visible_nav_items(user: object) -> list[NavItem]:
    """The entries of NAV_ITEMS that ``user`` may use, in order."""
    authenticated = bool(getattr(user, "is_authenticated", False))
    items = []
    for item in NAV_ITEMS:
        audience = item.audience
        if audience is None:
            ok = True
        elif audience == "authenticated":
            ok = authenticated
        elif audience == "staff":
            ok = authenticated and bool(getattr(user, "is_staff", False))
        elif isinstance(audience, frozenset):
            ok = bool(active_roles(user) & audience)
        else:
            raise ValueError(f"Unknown audience {audience!r} for {item.url_name}")
        if ok:
            items.append(item)
    return items
