"""The desk's donor pages: the list searched by name, code or e-mail; a donor's page
with contact data, fiscal codes, gifts, soft credits and the consent history (a read
written to the access log); new donor and edit with the codes validated on their
fields; consent given and withdrawn. Fundraisers see the donors of their organisations
only; network administrators read and change nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from fundraising.models import (
    ConsentChange,
    DonationStatus,
    Donor,
    DonorKind,
    SoftCredit,
    SoftCreditKind,
)
from fundraising.services.donors import consent_set
from legami.models import AccessEvent, ChangeEvent
from tests.fundraising.factories import (
    CampaignFactory,
    DonationFactory,
    DonorFactory,
    collector,
    fundraiser,
)

pytestmark = pytest.mark.django_db

LIST = "/fundraising/gestione/donatori/"
NEW = "/fundraising/gestione/donatori/nuovo/"
CF = "RSSMRA85T10A562S"
PIVA = "01114601006"


def page(donor: Donor, suffix: str = "") -> str:
    return f"/fundraising/gestione/donatori/{donor.public_id}/{suffix}"


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def org():
    return collector(name="Fondazione Comunitaria")


@pytest.fixture
def owner(org):
    return fundraiser(org)


@pytest.fixture
def client_owner(owner):
    return login(owner)


def gift(org, donor, **kwargs):
    kwargs.setdefault("status", DonationStatus.RECEIVED)
    if kwargs["status"] == DonationStatus.RECEIVED:
        kwargs.setdefault("received_at", timezone.now())
    return DonationFactory(campaign=CampaignFactory(organisation=org), donor=donor, **kwargs)


def test_the_list_shows_my_donors_with_their_received_gifts(client_owner, org):
    mine = DonorFactory(first_name="Giulia", last_name="Verdi")
    gift(org, mine, amount=Decimal("120.00"))
    gift(org, mine, amount=Decimal("30.00"), status=DonationStatus.PLEDGED)
    theirs = DonorFactory(first_name="Paolo", last_name="Neri")
    gift(collector(), theirs)

    response = client_owner.get(LIST)

    html = response.content.decode()
    assert response.status_code == 200
    assert "Giulia Verdi" in html and "€ 120,00" in html
    assert "Paolo Neri" not in html
    logged = AccessEvent.objects.filter(action="list", purpose="donor list")
    assert set(logged.values_list("target_id", flat=True)) == {str(mine.pk)}


@pytest.mark.parametrize("query", ["verdi", "rssmra85t10a562s", "GIULIA@example.org"])
def test_the_list_is_searched_by_name_code_or_email(client_owner, org, query):
    found = DonorFactory(
        first_name="Giulia", last_name="Verdi", codice_fiscale=CF, email="giulia@example.org"
    )
    gift(org, found)
    other = DonorFactory(first_name="Anna", last_name="Bruni")
    gift(org, other)

    html = client_owner.get(LIST, {"q": query}).content.decode()

    assert "Giulia Verdi" in html
    assert "Anna Bruni" not in html


def test_the_list_reads_in_a_bounded_number_of_queries(
    client_owner, org, django_assert_max_num_queries
):
    def fill(count):
        for _ in range(count):
            gift(org, DonorFactory())

    fill(2)
    with django_assert_max_num_queries(15) as few:
        assert client_owner.get(LIST).status_code == 200
    fill(20)
    with django_assert_max_num_queries(15) as many:
        assert client_owner.get(LIST).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)


def test_a_donors_page_shows_details_gifts_credits_and_consent_and_is_logged(
    client_owner, owner, org, make_user
):
    citizen = make_user("giulia@example.org")
    donor = DonorFactory(
        user=citizen,
        first_name="Giulia",
        last_name="Verdi",
        codice_fiscale=CF,
        phone="0372 123456",
        address="Via Roma 1",
        postcode="26100",
        city="Cremona",
    )
    gift(org, donor, amount=Decimal("75.50"), date=dt.date(2026, 2, 3))
    company = DonorFactory(kind=DonorKind.COMPANY, company_name="Acciaierie Srl", partita_iva=PIVA)
    credited = gift(org, DonorFactory(first_name="Luca", last_name="Bassi"))
    SoftCredit.objects.create(donation=credited, kind=SoftCreditKind.EMPLOYER, donor=donor)
    consent_set(donor=donor, organisation=org, given=True, source="donation form")
    consent_set(donor=donor, organisation=org, given=False, source="phone call", by=owner)

    response = client_owner.get(page(donor))

    html = response.content.decode()
    assert response.status_code == 200
    assert CF in html and "Via Roma 1" in html and "Cremona" in html
    assert "€ 75,50" in html
    assert "through an employer" in html and "given by Luca Bassi" in html
    assert "Withdrawn" in html and "donation form" in html and "phone call" in html
    assert owner.email in html  # who recorded the withdrawal
    assert AccessEvent.objects.filter(
        target_type="fundraising.donor",
        target_id=str(donor.pk),
        action="view",
        actor=owner,
        subject_user_id=citizen.pk,
    ).exists()
    assert company.company_name not in html


def test_another_organisations_donor_is_not_found(client_owner):
    theirs = DonorFactory()
    gift(collector(), theirs)

    assert client_owner.get(page(theirs)).status_code == 404
    assert client_owner.get(page(theirs, "modifica/")).status_code == 404
    assert client_owner.post(page(theirs, "consenso/"), {}).status_code == 404


def test_a_new_person_is_recorded(client_owner):
    response = client_owner.post(
        NEW,
        {
            "kind": DonorKind.PERSON,
            "first_name": "Giulia",
            "last_name": "Verdi",
            "codice_fiscale": CF.lower(),
            "email": "Giulia@Example.org",
        },
    )

    donor = Donor.objects.get()
    assert response.status_code == 302 and response["Location"] == page(donor)
    assert donor.codice_fiscale == CF and donor.email == "giulia@example.org"
    assert ChangeEvent.objects.filter(target_type="fundraising.donor", action="create").exists()


def test_a_wrong_codice_fiscale_is_refused_on_its_field(client_owner):
    response = client_owner.post(
        NEW, {"kind": DonorKind.PERSON, "last_name": "Verdi", "codice_fiscale": "RSSMRA85T10A562T"}
    )

    assert response.status_code == 400
    assert response.context["form"].errors["codice_fiscale"]
    assert not Donor.objects.exists()


def test_a_company_with_a_wrong_partita_iva_is_refused_on_its_field(client_owner):
    response = client_owner.post(
        NEW, {"kind": DonorKind.COMPANY, "company_name": "Acme Srl", "partita_iva": "01114601007"}
    )

    assert response.status_code == 400
    assert response.context["form"].errors["partita_iva"]
    assert not Donor.objects.exists()


def test_a_company_needs_its_name(client_owner):
    response = client_owner.post(NEW, {"kind": DonorKind.COMPANY, "partita_iva": PIVA})

    assert response.status_code == 400
    assert response.context["form"].errors["company_name"]
    assert not Donor.objects.exists()


def test_a_donor_with_the_same_code_is_completed_not_doubled(client_owner, org):
    existing = DonorFactory(first_name="Giulia", last_name="Verdi", codice_fiscale=CF, phone="")
    gift(org, existing)

    response = client_owner.post(
        NEW, {"kind": DonorKind.PERSON, "last_name": "Verdi", "codice_fiscale": CF, "phone": "333"}
    )

    assert response.status_code == 302 and response["Location"] == page(existing)
    assert Donor.objects.count() == 1
    existing.refresh_from_db()
    assert existing.phone == "333"


def test_a_code_held_by_another_organisations_donor_is_refused(client_owner):
    theirs = DonorFactory(codice_fiscale=CF, phone="0372 1")
    gift(collector(), theirs)

    response = client_owner.post(
        NEW, {"kind": DonorKind.PERSON, "last_name": "Verdi", "codice_fiscale": CF, "phone": "333"}
    )

    assert response.status_code == 400
    assert response.context["form"].errors["codice_fiscale"]
    theirs.refresh_from_db()
    assert theirs.phone == "0372 1" and Donor.objects.count() == 1


def test_a_donor_is_edited_and_a_code_another_donor_holds_is_refused(client_owner, org):
    donor = DonorFactory(first_name="Giulia", last_name="Verdi")
    gift(org, donor)
    DonorFactory(codice_fiscale=CF)

    refused = client_owner.post(
        page(donor, "modifica/"),
        {
            "kind": DonorKind.PERSON,
            "first_name": "Giulia",
            "last_name": "Verdi",
            "codice_fiscale": CF,
        },
    )
    saved = client_owner.post(
        page(donor, "modifica/"),
        {"kind": DonorKind.PERSON, "first_name": "Giulia", "last_name": "Verdi-Rossi"},
    )

    assert refused.status_code == 400
    assert refused.context["form"].errors["codice_fiscale"]
    assert saved.status_code == 302
    donor.refresh_from_db()
    assert donor.last_name == "Verdi-Rossi" and donor.codice_fiscale == ""


def test_consent_is_given_and_withdrawn_with_how_and_when(client_owner, owner, org):
    donor = DonorFactory()
    gift(org, donor)

    given = client_owner.post(
        page(donor, "consenso/"), {"organisation": org.pk, "given": "yes", "source": "paper form"}
    )
    withdrawn = client_owner.post(
        page(donor, "consenso/"), {"organisation": org.pk, "given": "no", "source": "phone call"}
    )

    assert given.status_code == withdrawn.status_code == 302
    changes = list(ConsentChange.objects.filter(donor=donor).order_by("at", "pk"))
    assert [(c.given, c.source, c.recorded_by) for c in changes] == [
        (True, "paper form", owner),
        (False, "phone call", owner),
    ]
    assert all(c.at is not None for c in changes)
    html = client_owner.get(page(donor)).content.decode()
    assert "paper form" in html and "phone call" in html and "Withdrawn" in html


def test_a_consent_without_how_is_refused_and_changes_nothing(client_owner, org):
    donor = DonorFactory()
    gift(org, donor)

    response = client_owner.post(page(donor, "consenso/"), {"organisation": org.pk, "given": "yes"})

    assert response.status_code == 400
    assert response.context["consent_form"].errors["source"]
    assert not ConsentChange.objects.exists()


def test_consent_for_another_organisation_is_refused(client_owner, org):
    donor = DonorFactory()
    gift(org, donor)
    other = collector()

    response = client_owner.post(
        page(donor, "consenso/"), {"organisation": other.pk, "given": "yes", "source": "in person"}
    )

    assert response.status_code == 400
    assert not ConsentChange.objects.exists()


def test_a_network_administrator_reads_donors_and_changes_nothing(network_admin_client, org):
    client = network_admin_client
    donor = DonorFactory(first_name="Giulia", last_name="Verdi")
    gift(org, donor)

    assert "Giulia Verdi" in client.get(LIST).content.decode()
    detail = client.get(page(donor))
    assert detail.status_code == 200
    assert page(donor, "modifica/") not in detail.content.decode()
    assert client.get(NEW).status_code == 403
    assert client.get(page(donor, "modifica/")).status_code == 403
    consent = client.post(
        page(donor, "consenso/"), {"organisation": org.pk, "given": "yes", "source": "in person"}
    )
    assert consent.status_code == 403
    assert not ConsentChange.objects.exists()


def test_people_without_a_desk_are_refused(citizen_client, social_worker_client):
    assert citizen_client.get(LIST).status_code == 403
    assert social_worker_client.get(LIST).status_code == 403


def test_a_donors_page_reads_in_a_bounded_number_of_queries(
    client_owner, owner, org, django_assert_max_num_queries
):
    donor = DonorFactory()

    def fill(count):
        for _ in range(count):
            gift(org, donor)
            SoftCredit.objects.create(
                donation=gift(org, DonorFactory()), kind=SoftCreditKind.IN_MEMORY, donor=donor
            )
            consent_set(donor=donor, organisation=org, given=True, source="form", by=owner)
            consent_set(donor=donor, organisation=org, given=False, source="call", by=owner)

    fill(1)
    with django_assert_max_num_queries(20) as few:
        assert client_owner.get(page(donor)).status_code == 200
    fill(8)
    with django_assert_max_num_queries(20) as many:
        assert client_owner.get(page(donor)).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)
