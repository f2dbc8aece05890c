"""Permission matrix of the desk's campaign pages and of the public account
(fundraising/views/manage_campaigns.py); see tests/permissions.py.

The world: one collecting organisation, whose fundraiser is ``owner``, with a ``draft``,
an ``open`` (published) and a ``closed`` campaign; ``image`` on the open one, ``cost``
on the closed one; ``funder``, an organisation that may match gifts. The desk is the
fundraisers' (``owner`` changes the campaigns of its organisation; the ``fundraiser``
role, held at another organisation, has a desk without these campaigns: 404) and the
network administrators', who read and change nothing (403 on every form and change,
and on the XLSX download, an export). Everybody else is refused (403); anonymous
visitors are sent to log in (302). The public account of a closed campaign is
everybody's (200); of an open or draft campaign it does not exist (404).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from fundraising.models import CampaignCost, CampaignImage, CampaignStatus
from legami.roles import Role
from tests.fundraising.factories import CampaignFactory, collector, fundraiser
from tests.partners.factories import OrganisationFactory
from tests.permissions import ROLES, Row, rows
from tests.permissions import check as check_row
from tests.test_permission_matrix import _concrete, _route_regex, _walk

EXTRA = ("owner",)
EVERYONE = (*ROLES, *EXTRA)
Expected = dict[str, int | tuple[int, ...]]

DESK = "/fundraising/gestione/campagne/"
OPEN = DESK + "{open.slug}/"
DRAFT = DESK + "{draft.slug}/"
CLOSED = DESK + "{closed.slug}/"
FOREIGN = DESK + "{foreign.slug}/"
TODAY = timezone.localdate()

NEW = {
    "organisation": "{org.pk}",
    "title": "Pranzi solidali",
    "slug": "pranzi-solidali",
    "goal": "5000",
    "starts_on": TODAY.isoformat(),
    "ends_on": (TODAY + dt.timedelta(days=30)).isoformat(),
    "story": "Un pranzo insieme ogni domenica.",
}
EDIT = {key: value for key, value in NEW.items() if key != "organisation"}
NEWS = {"title": "Primo pranzo", "body": "Eravamo in quaranta."}
PLEDGE = {"funder": "{funder.pk}", "ratio": "1.00", "cap": "500"}
COST = {"date": TODAY.isoformat(), "description": "Volantini", "amount": "80.00"}

# Reading the desk: the owner and the network administrators; the fundraiser of another
# organisation has a desk, but not these campaigns.
READ: Expected = {"anonymous": 302, Role.NETWORK_ADMIN: 200, "owner": 200, Role.FUNDRAISER: 404}
# A form of the desk: the owner's; network administrators only read.
FORM: Expected = {"anonymous": 302, Role.NETWORK_ADMIN: 403, "owner": 200, Role.FUNDRAISER: 404}
DONE: Expected = {**FORM, "owner": 302}
REFUSED: Expected = {**FORM, "owner": 400}


def _rows(method: str, url: str, expected: Expected, default: int, **kwargs) -> list[Row]:
    return rows(method, url, expected, default=default, roles=EVERYONE, **kwargs)


ROWS: list[Row] = [
    # The list, and a new campaign (for one's own organisation only: the fundraiser of
    # another organisation gets the form back, 400).
    *_rows("GET", DESK, {**READ, Role.FUNDRAISER: 200}, 403),
    *_rows("GET", DESK + "?status=closed", {**READ, Role.FUNDRAISER: 200}, 403),
    *_rows(
        "GET",
        DESK + "?status=nonsense",
        {**READ, Role.FUNDRAISER: 400, "owner": 400, Role.NETWORK_ADMIN: 400},
        403,
    ),
    *_rows("GET", DESK + "nuova/", {**FORM, Role.FUNDRAISER: 200}, 403),
    *_rows("POST", DESK + "nuova/", {**DONE, Role.FUNDRAISER: 400}, 403, data=NEW),
    # A campaign's page, its changes and its state.
    *_rows("GET", OPEN, READ, 403),
    *_rows("GET", DRAFT, READ, 403),
    *_rows("GET", CLOSED, READ, 403),
    *_rows("GET", FOREIGN, {**READ, "owner": 404, Role.NETWORK_ADMIN: 200}, 403),
    *_rows("GET", OPEN + "modifica/", FORM, 403),
    *_rows("POST", DRAFT + "modifica/", DONE, 403, data=EDIT),
    *_rows("POST", CLOSED + "modifica/", REFUSED, 403, data=EDIT),
    *_rows("POST", DRAFT + "pubblica/", DONE, 403),
    *_rows("POST", CLOSED + "pubblica/", REFUSED, 403),
    *_rows("GET", DRAFT + "pubblica/", {"anonymous": 302}, 405),
    *_rows("POST", OPEN + "chiudi/", DONE, 403),
    *_rows("POST", DRAFT + "chiudi/", REFUSED, 403),
    *_rows("GET", OPEN + "chiudi/", {"anonymous": 302}, 405),
    # Images (the form without a file comes back refused).
    *_rows("GET", OPEN + "immagini/", FORM, 403),
    *_rows("POST", OPEN + "immagini/", REFUSED, 403, data={"alt_text": "Nonni al parco"}),
    *_rows("POST", OPEN + "immagini/{image.pk}/rimuovi/", DONE, 403),
    *_rows("POST", OPEN + "immagini/{image.pk}/sposta/", DONE, 403, data={"direction": "up"}),
    *_rows("POST", OPEN + "immagini/{image.pk}/sposta/", REFUSED, 403, data={"direction": "x"}),
    *_rows("GET", OPEN + "immagini/{image.pk}/rimuovi/", {"anonymous": 302}, 405),
    # News, pledges, costs.
    *_rows("GET", OPEN + "notizie/", FORM, 403),
    *_rows("POST", OPEN + "notizie/", DONE, 403, data=NEWS),
    *_rows("POST", OPEN + "notizie/", REFUSED, 403, data={"title": "", "body": ""}),
    *_rows("GET", OPEN + "impegni/", FORM, 403),
    *_rows("POST", OPEN + "impegni/", DONE, 403, data=PLEDGE),
    *_rows("POST", CLOSED + "impegni/", REFUSED, 403, data=PLEDGE),
    *_rows("GET", CLOSED + "costi/", FORM, 403),
    *_rows("POST", CLOSED + "costi/", DONE, 403, data=COST),
    *_rows("POST", CLOSED + "costi/", REFUSED, 403, data={**COST, "amount": "-1"}),
    *_rows("POST", CLOSED + "costi/{cost.pk}/rimuovi/", DONE, 403),
    *_rows(
        "POST",
        OPEN + "costi/{cost.pk}/rimuovi/",
        {**FORM, "owner": 404, Role.NETWORK_ADMIN: 404},
        403,
    ),
    # The account on the desk and its download (an export: not the administrators').
    *_rows("GET", CLOSED + "rendiconto/", READ, 403),
    *_rows("GET", CLOSED + "rendiconto/xlsx/", FORM, 403),
    # The public account: a closed campaign's only.
    *_rows("GET", "/fundraising/campagne/{closed.slug}/rendiconto/", {}, 200),
    *_rows("GET", "/fundraising/campagne/{open.slug}/rendiconto/", {}, 404),
    *_rows("GET", "/fundraising/campagne/{draft.slug}/rendiconto/", {}, 404),
    *_rows("POST", "/fundraising/campagne/{closed.slug}/rendiconto/", {}, 405),
]


@pytest.fixture
def world(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    from tests.fundraising.test_campaign_pages import png

    organisation = collector()
    owner = fundraiser(organisation)
    open_campaign = CampaignFactory(organisation=organisation)
    draft = CampaignFactory(organisation=organisation, status=CampaignStatus.DRAFT)
    closed = CampaignFactory(
        organisation=organisation, status=CampaignStatus.CLOSED, closed_at=timezone.now()
    )
    foreign = CampaignFactory(organisation=collector())
    image = CampaignImage.objects.create(
        campaign=open_campaign, image=png(), alt_text="Nonni al parco"
    )
    cost = CampaignCost.objects.create(
        campaign=closed,
        date=TODAY,
        description="Stampa",
        amount=Decimal("120.00"),
        created_by=owner,
    )
    return {
        "users": {"owner": owner},
        "org": organisation,
        "open": open_campaign,
        "draft": draft,
        "closed": closed,
        "foreign": foreign,
        "image": image,
        "cost": cost,
        "funder": OrganisationFactory(name="Banca del Territorio"),
    }


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_campaign_desk_permissions(row, world, matrix_client):
    check_row(row, matrix_client(row.role, world), world)


def test_the_matrix_names_every_role():
    assert {row.role for row in ROWS} >= set(EVERYONE)


def test_every_campaign_route_has_a_row():
    from fundraising.views import manage_campaigns

    routes = [f"fundraising/{r}" for r in _walk(manage_campaigns.urlpatterns)]
    concrete = {_concrete(row.url) for row in ROWS}
    missing = [r for r in routes if not any(_route_regex(r).match(url) for url in concrete)]
    assert routes and missing == []
