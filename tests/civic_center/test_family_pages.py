"""The families' pages of the Civic Center (civic_center/views/family.py): the front
page, asking for a service (for oneself, or for a family as an operator), one's own
demands, a demand's page with its group, the answers to a group proposal, withdrawing,
and the invitation a family shares with its neighbours."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from django.utils import timezone

from civic_center import services, windows
from civic_center.models import (
    Agreement,
    AgreementMember,
    AgreementStatus,
    Demand,
    DemandStatus,
    MemberStatus,
)
from legami.roles import Role
from tests.civic_center.factories import (
    WEEKDAY_AFTERNOONS,
    DemandFactory,
    OfferFactory,
    ServiceCategoryFactory,
)
from tests.legami.factories import AmbitoFactory, ComuneFactory

pytestmark = pytest.mark.django_db

CREATE = "/civic-center/domande/nuova/"
ON_BEHALF = "/civic-center/domande/per-una-famiglia/"
LIST = "/civic-center/domande/"


@pytest.fixture
def comune():
    return ComuneFactory(name="Soresina", ambito=AmbitoFactory(name="Ambito di Cremona"))


@pytest.fixture
def category():
    return ServiceCategoryFactory(
        code="prova-doposcuola", name="Doposcuola di prova", name_en="After-school club"
    )


@pytest.fixture
def family(make_user):
    return make_user("famiglia@example.org")


@pytest.fixture
def family_client(client, family):
    client.force_login(family)
    return client


def _tag(body, element_id):
    """The opening tag of the element with ``element_id`` (attributes on any lines)."""
    match = re.search(rf'<[a-z]+\b[^>]*\bid="{element_id}"[^>]*>', body)
    assert match, f"no element #{element_id}"
    return " ".join(match.group(0).split())


def _form_data(category, comune, **overrides):
    start = timezone.localdate() + dt.timedelta(days=7)
    data = {
        "category": category.code,
        "comune": str(comune.pk),
        # Monday and Wednesday afternoons.
        "windows": [str(windows.index(0, 1)), str(windows.index(2, 1))],
        "start_date": start.isoformat(),
        "end_date": (start + dt.timedelta(days=60)).isoformat(),
        "quantity_per_week": "4",
        "max_unit_price": "12.50",
        "accepts_sharing": "on",
    }
    data.update(overrides)
    return data


def _group(demand, *, size=3, member_status=MemberStatus.PROPOSED, status=None, **extra):
    """A group agreement with ``demand`` in it (the matching's work, made by hand)."""
    offer = OfferFactory(
        category=demand.category, comuni=[demand.comune], title="Doposcuola insieme"
    )
    agreement = Agreement.objects.create(
        offer=offer,
        status=status or AgreementStatus.PROPOSED,
        group_size=size,
        tier_min_families=3,
        unit_price=Decimal("12.00"),
        single_family_price=Decimal("15.00"),
        start_date=demand.start_date,
        end_date=demand.end_date,
        **extra,
    )
    member = AgreementMember.objects.create(
        agreement=agreement,
        demand=demand,
        status=member_status,
        units_per_week=Decimal("4"),
        split={str(windows.index(0, 1)): "2", str(windows.index(2, 1)): "2"},
    )
    demand.status = (
        DemandStatus.AGREED
        if agreement.status == AgreementStatus.CONFIRMED
        else DemandStatus.PROPOSED
    )
    demand.save(update_fields=["status"])
    return agreement, member


# --- The front page -------------------------------------------------------------------------


def test_the_front_page_explains_and_lists_the_active_services(client, category):
    """Everybody reads what the Civic Center is and the services on offer with their
    unit; a retired service is not listed."""
    ServiceCategoryFactory(code="ritirato", name="Ritirato", name_en="Retired one", is_active=False)
    response = client.get("/civic-center/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "buy together, pay less" in body
    assert "After-school club" in body and "Priced per hour" in body
    assert "Retired one" not in body
    assert reverse("civic_center:demand_create") in body
    assert f'href="{reverse("civic_center:demand_list")}"' not in body  # anonymous


def test_the_front_page_links_my_demands_and_on_behalf_by_role(client, make_user, enable_totp):
    """A logged-in person sees the link to their demands; an operator also the way to
    enter a demand for a family."""
    client.force_login(make_user())
    body = client.get("/civic-center/").content.decode()
    assert f'href="{reverse("civic_center:demand_list")}"' in body
    assert reverse("civic_center:demand_create_on_behalf") not in body
    operator = make_user(role=Role.OPERATOR)
    enable_totp(operator)
    client.force_login(operator)
    assert (
        reverse("civic_center:demand_create_on_behalf")
        in client.get("/civic-center/").content.decode()
    )


# --- Asking for a service -----------------------------------------------------------------------


def test_the_form_has_a_labelled_checkbox_for_every_window(family_client, category, comune):
    """The windows are 21 checkboxes, each with a label naming day and part of the day;
    the comuni are grouped by ambito; the service's unit is shown with its option."""
    body = family_client.get(CREATE).content.decode()
    assert body.count('name="windows"') == windows.COUNT
    assert '<span class="visually-hidden">Monday, morning</span>' in body
    assert '<span class="visually-hidden">Sunday, evening</span>' in body
    assert '<optgroup label="Ambito di Cremona">' in body
    assert 'data-unit="hour"' in body and "After-school club (hour)" in body


def test_a_family_asks_for_a_service(family_client, family, category, comune):
    """A valid demand is saved as the family's own, open, with the windows ticked, and
    the family lands on its page with a confirmation."""
    response = family_client.post(CREATE, _form_data(category, comune), follow=True)
    demand = Demand.objects.get()
    assert response.redirect_chain[-1][0] == demand.get_absolute_url()
    assert demand.family == family and demand.created_by == family
    assert demand.status == DemandStatus.OPEN
    assert demand.windows == windows.mask_of([windows.index(0, 1), windows.index(2, 1)])
    assert demand.quantity_per_week == Decimal("4") and demand.max_unit_price == Decimal("12.50")
    assert demand.accepts_sharing is True
    assert "The demand is saved" in response.content.decode()


def test_a_period_that_ends_before_it_starts_is_refused_on_the_form(
    family_client, category, comune
):
    """The form comes back with status 400, the error under the end date (linked to it)
    and in the summary, what was typed kept, and nothing saved."""
    start = timezone.localdate() + dt.timedelta(days=30)
    data = _form_data(
        category,
        comune,
        start_date=start.isoformat(),
        end_date=(start - dt.timedelta(days=5)).isoformat(),
        quantity_per_week="7.5",
    )
    response = family_client.post(CREATE, data)
    body = response.content.decode()
    assert response.status_code == 400
    assert Demand.objects.count() == 0
    assert "data-error-summary" in body
    assert 'id="id_end_date_error"' in body and "The period ends before it starts." in body
    end = _tag(body, "id_end_date")
    assert "is-invalid" in end and 'aria-invalid="true"' in end
    assert "id_end_date_error" in end  # aria-describedby
    assert 'href="#id_end_date"' in body  # the summary links to the field
    assert 'value="7.5"' in _tag(body, "id_quantity_per_week")
    assert "checked" in _tag(body, f"id_windows_{windows.index(2, 1)}")
    assert "checked" not in _tag(body, f"id_windows_{windows.index(2, 0)}")


def test_no_window_ticked_is_refused(family_client, category, comune):
    """A demand needs at least one part of the week: 400, the grid is marked invalid."""
    data = _form_data(category, comune)
    del data["windows"]
    response = family_client.post(CREATE, data)
    body = response.content.decode()
    assert response.status_code == 400
    assert "Tick at least one part of the week." in body
    assert 'aria-invalid="true"' in _tag(body, "id_windows_0")
    assert 'href="#id_windows_0"' in body
    assert Demand.objects.count() == 0


def test_a_refusal_of_the_service_shows_under_its_field(family_client, family, category, comune):
    """The service refuses a second live demand for the same service and period: the
    form says so under the service, 400, nothing more saved."""
    DemandFactory(family=family, category=category, comune=comune)
    response = family_client.post(CREATE, _form_data(category, comune))
    assert response.status_code == 400
    assert "You already have a demand for this service" in response.content.decode()
    assert Demand.objects.count() == 1


def test_anonymous_visitors_are_asked_to_log_in_first(client, category, comune):
    """The form needs an account: the login page, coming back to the form (invitation
    included) afterwards; a post saves nothing."""
    response = client.get(CREATE + "?invito=abc")
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    assert "next=/civic-center/domande/nuova/%3Finvito%3Dabc" in response.url
    response = client.post(CREATE, _form_data(category, comune))
    assert response.status_code == 302 and Demand.objects.count() == 0


# --- On a family's behalf ---------------------------------------------------------------------


def test_an_operator_enters_a_demand_for_a_family(client, make_user, enable_totp, category, comune):
    """The operator gives the family's name and contacts; the demand has no account, is
    entered by the operator, and the operator reaches its page and finds it in their
    list, with the family's name."""
    operator = make_user(role=Role.OPERATOR)
    enable_totp(operator)
    client.force_login(operator)
    assert client.get(ON_BEHALF).status_code == 200
    data = _form_data(
        category,
        comune,
        contact_name="Famiglia Rossi",
        contact_email="rossi@example.org",
        contact_phone="0372 111111",
        address="Via Roma 1",
    )
    response = client.post(ON_BEHALF, data, follow=True)
    demand = Demand.objects.get()
    assert response.redirect_chain[-1][0] == demand.get_absolute_url()
    assert demand.family is None and demand.created_by == operator
    assert (demand.contact_name, demand.contact_email) == ("Famiglia Rossi", "rossi@example.org")
    assert "Famiglia Rossi" in response.content.decode()
    assert "For Famiglia Rossi" in client.get(LIST).content.decode()


def test_the_family_name_is_required_on_behalf(client, make_user, enable_totp, category, comune):
    operator = make_user(role=Role.OPERATOR)
    enable_totp(operator)
    client.force_login(operator)
    response = client.post(ON_BEHALF, _form_data(category, comune))
    assert response.status_code == 400
    assert 'id="id_contact_name_error"' in response.content.decode()
    assert Demand.objects.count() == 0


def test_a_citizen_may_not_enter_a_demand_for_someone_else(family_client, category, comune):
    """Only operators and coordinators enter demands on a family's behalf: 403."""
    assert family_client.get(ON_BEHALF).status_code == 403
    response = family_client.post(ON_BEHALF, _form_data(category, comune, contact_name="X"))
    assert response.status_code == 403
    assert Demand.objects.count() == 0


# --- My demands and a demand's page -----------------------------------------------------------


def test_a_family_sees_only_its_own_demands(family_client, family, make_user):
    """The list holds the family's demands, not another family's; another family's
    demand does not exist for it (404), nor do its buttons."""
    mine = DemandFactory(family=family)
    theirs = DemandFactory(family=make_user())
    body = family_client.get(LIST).content.decode()
    assert mine.get_absolute_url() in body
    assert theirs.get_absolute_url() not in body
    assert family_client.get(mine.get_absolute_url()).status_code == 200
    assert family_client.get(theirs.get_absolute_url()).status_code == 404
    for name in ("demand_withdraw", "demand_accept", "demand_decline"):
        url = reverse(f"civic_center:{name}", args=[theirs.public_id])
        assert family_client.post(url).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == DemandStatus.OPEN


def test_a_demand_page_describes_the_demand_and_its_share_link(family_client, family):
    """What, where, when (the windows in words), how much, and the invitation link
    that leads to the demand."""
    demand = DemandFactory(family=family, quantity_per_week=Decimal("4"))
    body = family_client.get(demand.get_absolute_url()).content.decode()
    assert demand.category.label in body
    assert windows.describe(WEEKDAY_AFTERNOONS) in body
    assert "12.00 € / hour" in body
    token = services.invitation_token(demand)
    assert f"/civic-center/invito/{token}/" in body
    # The link carries the demand's random invitation code: neither its page's id nor a
    # signed payload.
    assert f"/civic-center/invito/{demand.invitation_code}/" in body
    assert str(demand.public_id) not in _tag(body, "invitation-link")
    assert "Copy the link" in body
    assert "Withdraw this demand" in body


def test_the_pool_status_says_how_many_more_families_lower_the_price(family_client, family):
    """Two families in a pool whose price falls at three: "You are 2 of the 3 families
    needed: 1 more family and the price falls to 12.00 € per hour"."""
    demand = DemandFactory(family=family)
    OfferFactory(category=demand.category, comuni=[demand.comune], title="Doposcuola insieme")
    DemandFactory(category=demand.category, comune=demand.comune)
    body = family_client.get(demand.get_absolute_url()).content.decode()
    assert (
        "Families asking for this service together: 2. The price now is 15.00 € per hour." in body
    )
    assert (
        "You are 2 of the 3 families needed: 1 more family and the price falls to "
        "12.00 € per hour." in body
    )


def test_the_pool_status_says_from_how_many_families_a_group_starts(family_client, family):
    demand = DemandFactory(family=family)
    OfferFactory(category=demand.category, comuni=[demand.comune], min_group_size=4)
    body = family_client.get(demand.get_absolute_url()).content.decode()
    assert "The group starts from 4 families." in body
    assert "You are 1 of the 4 families needed: 3 more families" in body


# --- Answering a group proposal ---------------------------------------------------------------


def test_a_proposed_group_is_shown_with_its_answer_buttons(family_client, family):
    demand = DemandFactory(family=family)
    agreement, _ = _group(demand)
    body = family_client.get(demand.get_absolute_url()).content.decode()
    assert "A group is proposed to you" in body
    assert "Doposcuola insieme" in body and agreement.offer.organisation.name in body
    assert "12.00 € / hour" in body and "alone: 15.00 €" in body
    assert "Monday, afternoon: 2 × hour" in body
    assert reverse("civic_center:demand_accept", args=[demand.public_id]) in body
    assert reverse("civic_center:demand_decline", args=[demand.public_id]) in body


def test_the_family_accepts_the_group(family_client, family):
    """Accepting records the answer; the page then says the provider is to confirm."""
    demand = DemandFactory(family=family)
    agreement, member = _group(demand)
    url = reverse("civic_center:demand_accept", args=[demand.public_id])
    response = family_client.post(url, {"price_version": agreement.price_version}, follow=True)
    member.refresh_from_db()
    assert member.status == MemberStatus.ACCEPTED
    body = response.content.decode()
    assert "You accepted the group." in body
    assert "waiting for the provider to confirm the group" in body
    assert reverse("civic_center:demand_accept", args=[demand.public_id]) not in body


def test_the_accept_form_carries_the_price_version_shown(family_client, family):
    """The "Accept the group" form posts the agreement's price version as shown on the
    page, so that the answer is to that price."""
    demand = DemandFactory(family=family)
    agreement, _ = _group(demand, price_version=4)
    body = family_client.get(demand.get_absolute_url()).content.decode()
    form = body.split(reverse("civic_center:demand_accept", args=[demand.public_id]), 1)[1]
    form = form.split("</form>", 1)[0]
    assert '<input type="hidden" name="price_version" value="4">' in form


def test_the_accept_view_passes_the_price_version_on(family_client, family, monkeypatch):
    """The view hands the posted price version to ``member_accept`` as an int (None when
    missing or not a number)."""
    demand = DemandFactory(family=family)
    _, member = _group(demand)
    seen = []

    def fake_accept(*, member, by, price_version):
        seen.append(price_version)
        return member

    monkeypatch.setattr(services, "member_accept", fake_accept)
    url = reverse("civic_center:demand_accept", args=[demand.public_id])
    family_client.post(url, {"price_version": "3"})
    family_client.post(url, {"price_version": "x"})
    family_client.post(url)
    assert seen == [3, None, None]


def test_accepting_a_price_that_changed_is_refused(family_client, family):
    """The page was shown at price version 1; the group was re-priced before the family
    pressed "Accept": the answer is not recorded and a message says why."""
    demand = DemandFactory(family=family)
    agreement, member = _group(demand)
    shown = agreement.price_version
    Agreement.objects.filter(pk=agreement.pk).update(
        price_version=shown + 1, unit_price=Decimal("13.00")
    )
    url = reverse("civic_center:demand_accept", args=[demand.public_id])
    response = family_client.post(url, {"price_version": shown}, follow=True)
    member.refresh_from_db()
    assert member.status == MemberStatus.PROPOSED
    assert response.redirect_chain[-1][0] == demand.get_absolute_url()
    body = response.content.decode()
    assert "You accepted the group." not in body
    assert 'class="alert alert-danger' in body
    # The page now shows the new price, with the buttons to answer it.
    assert "13.00 € / hour" in body
    assert f'name="price_version" value="{shown + 1}"' in body


def test_the_family_declines_the_group(family_client, family):
    demand = DemandFactory(family=family)
    _, member = _group(demand)
    response = family_client.post(
        reverse("civic_center:demand_decline", args=[demand.public_id]), follow=True
    )
    member.refresh_from_db()
    demand.refresh_from_db()
    assert member.status == MemberStatus.DECLINED
    assert demand.status == DemandStatus.OPEN
    assert "You declined the group." in response.content.decode()


def test_answering_without_a_proposal_changes_nothing(family_client, family):
    """No group waits for an answer (none, or already accepted): a message, no change."""
    demand = DemandFactory(family=family)
    url = reverse("civic_center:demand_accept", args=[demand.public_id])
    response = family_client.post(url, follow=True)
    assert "There is no group proposal waiting for your answer." in response.content.decode()
    _, member = _group(demand, member_status=MemberStatus.ACCEPTED)
    response = family_client.post(
        reverse("civic_center:demand_decline", args=[demand.public_id]), follow=True
    )
    member.refresh_from_db()
    assert member.status == MemberStatus.ACCEPTED
    assert "There is no group proposal waiting for your answer." in response.content.decode()


def test_a_confirmed_group_says_so(family_client, family):
    demand = DemandFactory(family=family)
    _group(demand, member_status=MemberStatus.ACCEPTED, status=AgreementStatus.CONFIRMED)
    body = family_client.get(demand.get_absolute_url()).content.decode()
    assert "Your group agreement" in body and "Confirmed:" in body


# --- Withdrawing ----------------------------------------------------------------------------


def test_the_family_withdraws_its_demand(family_client, family):
    """Withdrawn: the page says so and offers neither the share link nor the button."""
    demand = DemandFactory(family=family)
    url = reverse("civic_center:demand_withdraw", args=[demand.public_id])
    response = family_client.post(url, follow=True)
    demand.refresh_from_db()
    assert demand.status == DemandStatus.WITHDRAWN
    body = response.content.decode()
    assert "Your demand is withdrawn." in body
    assert "Withdraw this demand" not in body
    assert "/civic-center/invito/" not in body


def test_withdrawing_twice_is_refused_with_a_message(family_client, family):
    demand = DemandFactory(family=family, status=DemandStatus.WITHDRAWN)
    url = reverse("civic_center:demand_withdraw", args=[demand.public_id])
    response = family_client.post(url, follow=True)
    assert response.redirect_chain[-1][0] == demand.get_absolute_url()
    assert "This demand is no longer active." in response.content.decode()


def test_withdrawing_is_a_post(family_client, family):
    demand = DemandFactory(family=family)
    url = reverse("civic_center:demand_withdraw", args=[demand.public_id])
    assert family_client.get(url).status_code == 405
    demand.refresh_from_db()
    assert demand.status == DemandStatus.OPEN


# --- The invitation -----------------------------------------------------------------------------


def test_the_invitation_shows_the_service_not_the_family(client, family):
    """A neighbour reads which service, where and when, never who invited."""
    demand = DemandFactory(family=family, contact_name="Maria Bianchi")
    token = services.invitation_token(demand)
    response = client.get(f"/civic-center/invito/{token}/")
    body = response.content.decode()
    assert response.status_code == 200
    assert demand.category.label in body and demand.comune.name in body
    assert windows.describe(demand.windows) in body
    assert "Maria Bianchi" not in body and family.email not in body
    assert f"{CREATE}?{urlencode({'invito': token})}" in body


def test_an_invalid_invitation_says_so(client, family):
    """A code that names no demand (made up, or one character changed), or the link of a
    withdrawn demand: 404 with an explanation."""
    response = client.get("/civic-center/invito/not-a-code/")
    assert response.status_code == 404
    assert "This invitation is not valid" in response.content.decode()
    live = DemandFactory(family=family)
    code = services.invitation_token(live)
    altered = code[:-1] + ("A" if code[-1] != "A" else "B")
    response = client.get(f"/civic-center/invito/{altered}/")
    assert response.status_code == 404
    assert "This invitation is not valid" in response.content.decode()
    demand = DemandFactory(family=family, status=DemandStatus.WITHDRAWN)
    response = client.get(f"/civic-center/invito/{services.invitation_token(demand)}/")
    assert response.status_code == 404


def test_a_wrong_invitation_code_prefills_nothing(client, make_user):
    """The form with a code that names no demand is the plain form: nothing prefilled,
    no "a neighbour invited you", and the demand saved remembers no inviter."""
    inviting = DemandFactory(family=make_user())
    code = services.invitation_token(inviting)
    wrong = code[:-1] + ("A" if code[-1] != "A" else "B")
    client.force_login(make_user())
    body = client.get(CREATE, {"invito": wrong}).content.decode()
    assert "A neighbour invited you" not in body


def test_an_invitation_prefills_the_form_and_is_remembered(client, make_user):
    """Following a neighbour's link, the form has the same service, comune and windows;
    the new demand records who invited it."""
    inviting = DemandFactory(family=make_user())
    token = services.invitation_token(inviting)
    neighbour = make_user()
    client.force_login(neighbour)
    body = client.get(CREATE, {"invito": token}).content.decode()
    assert "A neighbour invited you" in body
    assert re.search(rf'<option value="{inviting.category.code}"[^>]*\bselected\b', body)
    assert f'<option value="{inviting.comune.pk}" selected>' in body
    for i in range(windows.COUNT):
        ticked = "checked" in _tag(body, f"id_windows_{i}")
        assert ticked == (i in windows.indices_of(inviting.windows)), i
    data = _form_data(inviting.category, inviting.comune)
    response = client.post(f"{CREATE}?invito={token}", data)
    assert response.status_code == 302
    created = Demand.objects.get(family=neighbour)
    assert created.invited_by == inviting


# --- Queries --------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [3, 30])
def test_my_demands_takes_a_bounded_number_of_queries(
    count, family_client, family, django_assert_max_num_queries
):
    DemandFactory.create_batch(count, family=family)
    # Session, user, roles, the demands (with their service and comune).
    with django_assert_max_num_queries(5):
        response = family_client.get(LIST)
    assert response.content.decode().count('class="legami-civic-demand"') == count


@pytest.mark.parametrize("count", [3, 30])
def test_a_demand_page_takes_a_bounded_number_of_queries(
    count, family_client, family, django_assert_max_num_queries
):
    """Whatever the size of the pool: session, user, roles, the demand, its group (none),
    and the pool (offers, their tiers and capacity, one count per offer: two here)."""
    demand = DemandFactory(family=family)
    DemandFactory.create_batch(count, category=demand.category, comune=demand.comune)
    OfferFactory.create_batch(2, category=demand.category, comuni=[demand.comune])
    with django_assert_max_num_queries(10):
        response = family_client.get(demand.get_absolute_url())
    assert f"together: {count + 1}." in response.content.decode()


@pytest.mark.parametrize("count", [3, 30])
def test_a_demand_page_in_a_group_takes_a_bounded_number_of_queries(
    count, family_client, family, django_assert_max_num_queries
):
    """Whatever the size of the group: session, user, roles, the demand, its group with
    offer and provider (the pool is not asked for)."""
    demand = DemandFactory(family=family)
    _group(demand, size=count)
    with django_assert_max_num_queries(5):
        response = family_client.get(demand.get_absolute_url())
    assert "A group is proposed to you" in response.content.decode()
    assert "Families asking for this service together" not in response.content.decode()


@pytest.mark.parametrize("count", [3, 30])
def test_the_front_page_and_the_form_take_a_bounded_number_of_queries(
    count, family_client, django_assert_max_num_queries
):
    """The catalogue in one query; the form's services and comuni (grouped by ambito)
    in one query each, however many there are."""
    ambito = AmbitoFactory()
    for _ in range(count):
        ServiceCategoryFactory()
        ComuneFactory(ambito=ambito)
    with django_assert_max_num_queries(4):
        assert family_client.get("/civic-center/").status_code == 200
    with django_assert_max_num_queries(5):
        assert family_client.get(CREATE).status_code == 200


# --- Wording ----------------------------------------------------------------------------------


def test_the_pages_describe_a_purchasing_group(client, family):
    """A group is families buying the same service from the same provider together, each
    at its own times and for its own period: no page says that one helper serves the
    families at the same time."""
    demand = DemandFactory(family=family)
    client.force_login(family)
    pages = [
        "/civic-center/",
        CREATE,
        demand.get_absolute_url(),
        f"/civic-center/invito/{services.invitation_token(demand)}/",
    ]
    for url in pages:
        body = " ".join(client.get(url).content.decode().split())
        assert "at the same time" not in body, url
        assert "same helper" not in body, url
    form = " ".join(client.get(CREATE).content.decode().split())
    assert "each at its own times and for its own period" in form


def test_my_demands_come_thirty_a_page(client, make_user, enable_totp, category, comune):
    """An operator who entered many demands gets them a page at a time."""
    operator = make_user("operatore.pagine@example.org", role=Role.OPERATOR)
    enable_totp(operator)
    client.force_login(operator)
    for n in range(31):
        DemandFactory(
            family=None,
            created_by=operator,
            contact_name=f"Famiglia {n:02d}",
            category=category,
            comune=comune,
        )
    first = client.get(LIST).content.decode()
    assert first.count('class="legami-civic-demand"') == 30
    assert "Page 1 of 2" in first
    assert client.get(LIST + "?page=2").content.decode().count('class="legami-civic-demand"') == 1
