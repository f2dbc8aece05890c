"""The providers' pages: their offers (and never a competitor's prices), the offer form
(errors inline, status 400, nothing saved), publishing, the pseudonymised open demand
(no identity ever), the group agreements with confirm and cancel, and the families'
contacts only once a group is confirmed. Query counts do not grow with the rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.template.defaultfilters import floatformat
from django.utils import timezone

from civic_center import selectors, windows
from civic_center.models import (
    Agreement,
    AgreementEvent,
    AgreementMember,
    AgreementStatus,
    DemandStatus,
    MemberStatus,
    Offer,
    OfferStatus,
)
from legami.roles import Role
from tests.civic_center.factories import DemandFactory, OfferFactory, ServiceCategoryFactory
from tests.legami.factories import AmbitoFactory, ComuneFactory
from tests.partners.factories import MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
COMPETITOR_PRICE = "17.35"
IDENTITY = {
    "contact_name",
    "contact_email",
    "contact_phone",
    "address",
    "family",
    "family_id",
    "created_by",
    "created_by_id",
    "public_id",
}


@pytest.fixture
def ambito():
    return AmbitoFactory(name="Ambito di Crema")


@pytest.fixture
def comune(ambito):
    return ComuneFactory(name="Crema", ambito=ambito)


@pytest.fixture
def service():
    return ServiceCategoryFactory(code="doposcuola", name="Doposcuola", name_en="After-school")


@pytest.fixture
def org(ambito):
    return OrganisationFactory(name="Cooperativa Il Sole", ambiti=[ambito])


@pytest.fixture
def rival(ambito):
    return OrganisationFactory(name="Cooperativa La Luna", ambiti=[ambito])


def staff_of(org, make_user, enable_totp, email):
    user = make_user(email)
    MembershipFactory(user=user, organisation=org, role=Role.PARTNER_STAFF)
    enable_totp(user)
    return user


@pytest.fixture
def provider(org, make_user, enable_totp):
    return staff_of(org, make_user, enable_totp, "sole@example.org")


@pytest.fixture
def client(provider, client):
    client.force_login(provider)
    return client


@pytest.fixture
def rival_offer(rival, comune, service):
    return OfferFactory(
        organisation=rival,
        category=service,
        comuni=[comune],
        title="Compiti alla Luna",
        tiers=[(1, COMPETITOR_PRICE), (3, "14.00")],
    )


@pytest.fixture
def own_offer(org, comune, service):
    return OfferFactory(
        organisation=org, category=service, comuni=[comune], title="Compiti al Sole"
    )


# --- Offers -------------------------------------------------------------------------------


def test_the_offer_list_shows_the_own_offers_only(client, own_offer, rival_offer):
    response = client.get("/civic-center/offerte/")

    body = response.content.decode()
    assert response.status_code == 200
    assert "Compiti al Sole" in body
    assert "Compiti alla Luna" not in body
    assert "Published" in body


def test_a_competitors_offer_does_not_exist_for_a_provider(client, rival_offer):
    response = client.get(f"/civic-center/offerte/{rival_offer.public_id}/")

    assert response.status_code == 404
    assert COMPETITOR_PRICE not in response.content.decode()


def test_the_offer_page_shows_prices_and_what_a_group_pays(client, own_offer):
    response = client.get(f"/civic-center/offerte/{own_offer.public_id}/")

    body = response.content.decode()
    assert response.status_code == 200
    assert "€ 15.00" in body and "€ 9.00" in body
    # Volume tiers 15 / 12 from 3 / 9 from 5.
    assert "With 3 families everyone pays € 12.00." in body
    assert "With 6 families everyone pays € 9.00." in body
    assert "Alone, the family pays € 15.00." in body


def test_the_offer_list_does_not_grow_in_queries_with_offers(
    client, org, comune, service, django_assert_max_num_queries
):
    def load(n: int) -> int:
        OfferFactory.create_batch(n, organisation=org, category=service, comuni=[comune])
        with django_assert_max_num_queries(12) as ctx:
            assert client.get("/civic-center/offerte/").status_code == 200
        return len(ctx.captured_queries)

    few = load(3)
    many = load(27)
    assert few == many


def offer_post(org, comune, service, **overrides):
    today = timezone.localdate()
    data = {
        "organisation": org.pk,
        "title": "Badante di quartiere",
        "description": "Assistenza condivisa",
        "category": service.pk,
        "comuni": [comune.pk],
        "pricing_mode": "volume",
        "min_group_size": "1",
        "max_group_size": "",
        "valid_from": today.isoformat(),
        "valid_until": (today + dt.timedelta(days=200)).isoformat(),
        f"capacity_{windows.index(0, 0)}": "10",
        f"capacity_{windows.index(2, 1)}": "6.5",
        "tiers-TOTAL_FORMS": "3",
        "tiers-INITIAL_FORMS": "0",
        "tiers-0-min_families": "1",
        "tiers-0-unit_price": "20.00",
        "tiers-1-min_families": "3",
        "tiers-1-unit_price": "16.00",
        "tiers-2-min_families": "",
        "tiers-2-unit_price": "",
        "partners-TOTAL_FORMS": "1",
        "partners-INITIAL_FORMS": "0",
        "partners-0-organisation": "",
        "partners-0-share_percent": "",
    }
    data.update(overrides)
    return data


def test_the_offer_form_creates_a_draft_with_tiers_capacity_and_comuni(
    client, org, comune, service
):
    response = client.post("/civic-center/offerte/nuova/", offer_post(org, comune, service))

    offer = Offer.objects.get(title="Badante di quartiere")
    assert response.status_code == 302
    assert response["Location"] == offer.get_absolute_url()
    assert offer.status == OfferStatus.DRAFT
    assert offer.organisation == org
    assert [(t.min_families, t.unit_price) for t in offer.tiers.all()] == [
        (1, Decimal("20.00")),
        (3, Decimal("16.00")),
    ]
    assert {(c.window, c.units) for c in offer.capacity.all()} == {
        (windows.index(0, 0), Decimal("10")),
        (windows.index(2, 1), Decimal("6.5")),
    }
    assert list(offer.comuni.all()) == [comune]


def test_the_offer_form_page_draws_the_grid_and_the_comuni_by_ambito(client, comune):
    response = client.get("/civic-center/offerte/nuova/")

    body = response.content.decode()
    assert response.status_code == 200
    assert 'name="capacity_20"' in body
    assert "Ambito di Crema" in body and "Crema" in body
    assert "tiers-TOTAL_FORMS" in body and "partners-TOTAL_FORMS" in body


@pytest.mark.parametrize(
    "tiers",
    [
        {"tiers-0-min_families": "2"},  # does not start at 1 family
        {"tiers-1-unit_price": "25.00"},  # the price rises with the group
    ],
    ids=["not-from-one", "rising-price"],
)
def test_bad_tiers_come_back_400_inline_and_save_nothing(client, org, comune, service, tiers):
    response = client.post(
        "/civic-center/offerte/nuova/", offer_post(org, comune, service, **tiers)
    )

    body = response.content.decode()
    assert response.status_code == 400
    assert "Nothing was saved" in body
    assert 'href="#tiers-title"' in body
    assert not Offer.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("min_group_size", "40000"),
        ("max_group_size", "1001"),
        ("tiers-1-min_families", "99999"),
        ("tiers-1-unit_price", "10000.00"),
        ("tiers-1-unit_price", "12.345"),
        (f"capacity_{windows.index(0, 0)}", "10000"),
    ],
    ids=["smallest-group", "largest-group", "tier-families", "price", "price-cents", "units"],
)
def test_huge_numbers_are_field_errors_not_database_errors(
    client, org, comune, service, field, value
):
    """Numbers beyond what the offer can store (groups of more than 1000 families, prices
    of 10,000 € or with fractions of a cent, 10,000 units a week) come back 400 with the
    error under the field, and nothing is saved."""
    response = client.post(
        "/civic-center/offerte/nuova/", offer_post(org, comune, service, **{field: value})
    )

    body = response.content.decode()
    assert response.status_code == 400
    if field.startswith("capacity_"):  # the grid's errors are listed above the grid
        assert "Capacity: Ensure this value is less than or equal to 9999." in body
    else:
        assert f'id="id_{field}_error"' in body
    assert not Offer.objects.exists()


def test_more_than_ten_tiers_or_partners_are_refused(client, org, comune, service):
    """At most ten price tiers and ten joint partners: more rows are an error of the
    formset (400), not rows silently dropped."""
    rows = {"tiers-TOTAL_FORMS": "11"}
    for i in range(11):
        rows[f"tiers-{i}-min_families"] = str(i + 1)
        rows[f"tiers-{i}-unit_price"] = f"{30 - i}.00"
    response = client.post("/civic-center/offerte/nuova/", offer_post(org, comune, service, **rows))

    assert response.status_code == 400
    assert "Please submit at most 10 forms." in response.content.decode()
    assert not Offer.objects.exists()

    response = client.post(
        "/civic-center/offerte/nuova/",
        offer_post(org, comune, service, **{"partners-TOTAL_FORMS": "11"}),
    )

    assert response.status_code == 400
    assert "Please submit at most 10 forms." in response.content.decode()
    assert not Offer.objects.exists()


def test_a_missing_title_is_shown_under_the_field(client, org, comune, service):
    response = client.post(
        "/civic-center/offerte/nuova/", offer_post(org, comune, service, title="")
    )

    assert response.status_code == 400
    assert 'id="id_title_error"' in response.content.decode()
    assert not Offer.objects.exists()


def test_an_offer_cannot_be_created_for_a_competitor(client, rival, comune, service):
    response = client.post("/civic-center/offerte/nuova/", offer_post(rival, comune, service))

    assert response.status_code == 400
    assert not Offer.objects.exists()


def test_editing_changes_the_offer(client, own_offer, org, comune, service):
    data = offer_post(org, comune, service, title="Compiti al Sole, nuovo")

    response = client.post(f"/civic-center/offerte/{own_offer.public_id}/modifica/", data)

    own_offer.refresh_from_db()
    assert response.status_code == 302
    assert own_offer.title == "Compiti al Sole, nuovo"
    assert own_offer.tiers.count() == 2


def test_publish_and_withdraw(client, org, comune, service):
    offer = OfferFactory(organisation=org, category=service, comuni=[comune], status="draft")

    published = client.post(f"/civic-center/offerte/{offer.public_id}/pubblica/")
    offer.refresh_from_db()
    assert published.status_code == 302 and offer.status == OfferStatus.PUBLISHED

    withdrawn = client.post(f"/civic-center/offerte/{offer.public_id}/ritira/")
    offer.refresh_from_db()
    assert withdrawn.status_code == 302 and offer.status == OfferStatus.WITHDRAWN


# --- Pseudonymised demand -----------------------------------------------------------------


@pytest.fixture
def family_demand(comune, service):
    return DemandFactory(
        comune=comune,
        category=service,
        contact_name="Giulia Verdi Riservata",
        contact_email="giulia.riservata@example.org",
        contact_phone="+39 333 1234567",
        address="Via Segreta 42",
    )


def test_market_demand_shows_no_identity(client, family_demand):
    response = client.get("/civic-center/domanda-aperta/")

    body = response.content.decode()
    assert response.status_code == 200
    assert family_demand.pseudonym in body
    for secret in (
        "Giulia Verdi Riservata",
        "giulia.riservata@example.org",
        family_demand.family.email,
        "333 1234567",
        "Via Segreta",
        str(family_demand.public_id),
    ):
        assert secret not in body


def test_the_market_selector_returns_pseudonymised_keys_only(provider, family_demand):
    rows = list(selectors.market_demand(provider))

    assert len(rows) == 1
    assert set(rows[0]) == set(selectors.PSEUDONYMISED_FIELDS)
    assert not set(rows[0]) & IDENTITY


def test_market_demand_filters_and_swaps_the_results(client, family_demand, comune, ambito):
    other = ServiceCategoryFactory(code="badante", name="Badante", name_en="Home carer")
    elsewhere = DemandFactory(comune=ComuneFactory(ambito=ambito), category=other)

    response = client.get("/civic-center/domanda-aperta/", {"category": other.pk}, **HTMX)

    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body and 'id="demand-results"' in body
    assert elsewhere.pseudonym in body
    assert family_demand.pseudonym not in body


def test_market_demand_hides_other_ambiti(client, service):
    far = DemandFactory(category=service)  # a comune of another ambito

    body = client.get("/civic-center/domanda-aperta/").content.decode()

    assert far.pseudonym not in body


def test_market_demand_queries_do_not_grow(client, comune, service, django_assert_max_num_queries):
    def load(n: int) -> int:
        DemandFactory.create_batch(n, comune=comune, category=service)
        with django_assert_max_num_queries(14) as ctx:
            assert client.get("/civic-center/domanda-aperta/").status_code == 200
        return len(ctx.captured_queries)

    assert load(3) == load(27)


# --- Agreements ---------------------------------------------------------------------------


def make_agreement(offer, demands, *, status=AgreementStatus.PROPOSED, member_status=None):
    today = timezone.localdate()
    agreement = Agreement.objects.create(
        offer=offer,
        status=status,
        group_size=len(demands),
        tier_min_families=3 if len(demands) >= 3 else 1,
        unit_price=Decimal("12.00") if len(demands) >= 3 else Decimal("15.00"),
        single_family_price=Decimal("15.00"),
        start_date=today + dt.timedelta(days=14),
        end_date=today + dt.timedelta(days=104),
        # The terms the group was proposed with (what confirming re-prices it from).
        pricing_mode="volume",
        tiers=[[1, "15.00"], [3, "12.00"]],
        min_group_size=1,
        explanation={
            "pool_size": 5,
            "group_size": 3,
            "tier_min_families": 3,
            "unit_price": "12.00",
            "single_family_price": "15.00",
            "mode": "volume",
            "solo": False,
            "min_group_size": 2,
        },
    )
    for demand in demands:
        AgreementMember.objects.create(
            agreement=agreement,
            demand=demand,
            status=member_status or MemberStatus.PROPOSED,
            units_per_week=demand.quantity_per_week,
            split={str(windows.index(0, 1)): str(demand.quantity_per_week)},
        )
        demand.status = DemandStatus.PROPOSED
        demand.save(update_fields=["status"])
    AgreementEvent.objects.create(agreement=agreement, kind=AgreementEvent.Kind.PROPOSED)
    return agreement


@pytest.fixture
def agreement(own_offer, comune, service):
    demands = [
        DemandFactory(comune=comune, category=service, contact_name=f"Famiglia Riservata {i}")
        for i in range(3)
    ]
    return make_agreement(own_offer, demands, member_status=MemberStatus.ACCEPTED)


def test_the_agreement_page_shows_pseudonyms_schedule_and_history(client, agreement):
    response = client.get(f"/civic-center/accordi/{agreement.public_id}/")

    body = response.content.decode()
    assert response.status_code == 200
    for member in agreement.members.select_related("demand"):
        assert member.demand.pseudonym in body
    assert "Famiglia Riservata" not in body  # no contact before confirmation
    # Three families × 4 hours on Monday afternoon, summed.
    assert '<th scope="row">Monday, afternoon</th><td>12</td>' in body
    assert "Proposed by the matching" in body
    assert "Confirm the group" in body


def test_confirming_shows_the_contacts_of_the_families_who_accepted(client, agreement):
    response = client.post(f"/civic-center/accordi/{agreement.public_id}/conferma/")

    agreement.refresh_from_db()
    assert response.status_code == 302
    assert agreement.status == AgreementStatus.CONFIRMED
    body = client.get(f"/civic-center/accordi/{agreement.public_id}/").content.decode()
    assert "Famiglia Riservata 0" in body
    assert "Confirm the group" not in body


def test_cancelling_a_proposed_group(client, agreement):
    response = client.post(f"/civic-center/accordi/{agreement.public_id}/annulla/")

    agreement.refresh_from_db()
    assert response.status_code == 302
    assert agreement.status == AgreementStatus.CANCELLED


def test_a_competitor_cannot_open_or_confirm_the_agreement(
    agreement, rival, make_user, enable_totp, client
):
    client.force_login(staff_of(rival, make_user, enable_totp, "luna@example.org"))

    assert client.get(f"/civic-center/accordi/{agreement.public_id}/").status_code == 404
    assert client.post(f"/civic-center/accordi/{agreement.public_id}/conferma/").status_code == 404
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.PROPOSED


def test_the_agreement_list_shows_the_figures(client, agreement, rival_offer, comune, service):
    make_agreement(rival_offer, [DemandFactory(comune=comune, category=service)])
    agreement.status = AgreementStatus.CONFIRMED
    agreement.save(update_fields=["status"])

    response = client.get("/civic-center/accordi/")

    body = response.content.decode()
    assert response.status_code == 200
    assert "Compiti al Sole" in body and "Compiti alla Luna" not in body
    assert "Families served" in body
    figures = selectors.figures(Agreement.objects.filter(pk=agreement.pk))
    assert figures.families_served == 3
    assert f"€ {figures.saving}" in body


def test_a_confirmed_agreement_shows_its_own_figures(client, agreement, own_offer, comune, service):
    """A confirmed group's page shows what this group achieves (families served, hours
    purchased over its period, the saving for families, new families reached); another
    confirmed group of the same offer does not count in it. A group not yet confirmed
    shows no figures."""
    body = client.get(f"/civic-center/accordi/{agreement.public_id}/").content.decode()
    assert "What this group achieves" not in body

    other = make_agreement(
        own_offer,
        [DemandFactory(comune=comune, category=service) for _ in range(4)],
        member_status=MemberStatus.ACCEPTED,
    )
    Agreement.objects.filter(pk__in=[agreement.pk, other.pk]).update(
        status=AgreementStatus.CONFIRMED
    )
    figures = selectors.figures(Agreement.objects.filter(pk=agreement.pk))
    assert figures.families_served == 3 and figures.saving > 0

    body = client.get(f"/civic-center/accordi/{agreement.public_id}/").content.decode()
    text = " ".join(body.split())

    assert "What this group achieves" in text
    assert (
        '<dt class="col-7 col-md-3">Families served</dt><dd class="col-5 col-md-3">3</dd>' in text
    )
    assert f"€ {figures.saving}" in text
    hours = floatformat(figures.hours_purchased, "-2")
    assert f'Hours purchased</dt><dd class="col-5 col-md-3">{hours}' in text
    assert "New families reached" in text


def test_agreement_pages_do_not_grow_in_queries(
    client, own_offer, comune, service, django_assert_max_num_queries
):
    def load(n: int) -> tuple[int, int]:
        last = None
        for _ in range(n):
            last = make_agreement(
                own_offer,
                [DemandFactory(comune=comune, category=service) for _ in range(2)],
                status=AgreementStatus.CONFIRMED,
                member_status=MemberStatus.ACCEPTED,
            )
        with django_assert_max_num_queries(14) as listed:
            assert client.get("/civic-center/accordi/").status_code == 200
        with django_assert_max_num_queries(16) as detail:
            assert client.get(f"/civic-center/accordi/{last.public_id}/").status_code == 200
        return len(listed.captured_queries), len(detail.captured_queries)

    assert load(3) == load(27)


def test_the_edit_form_starts_from_the_saved_offer(client, own_offer):
    response = client.get(f"/civic-center/offerte/{own_offer.public_id}/modifica/")

    body = response.content.decode()
    assert response.status_code == 200
    assert 'name="tiers-INITIAL_FORMS" value="3"' in body
    assert 'name="tiers-2-unit_price" value="9.00"' in body
    assert f'name="capacity_{windows.index(0, 1)}" value="40.00"' in body
    assert 'value="Compiti al Sole"' in body


@pytest.mark.parametrize("bad", [{"category": "999999"}, {"comune": "abc"}])
def test_market_demand_refuses_a_filter_value_that_is_not_a_choice(client, family_demand, bad):
    response = client.get("/civic-center/domanda-aperta/", bad)
    assert response.status_code == 400
    assert "is-invalid" in response.content.decode()
