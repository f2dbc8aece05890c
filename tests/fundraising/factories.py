"""Collecting organisations, fundraisers, campaigns, donors and donations for tests.
Rows are made directly (factories); state changes in tests go through the services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from fundraising.models import (
    Campaign,
    CampaignStatus,
    Donation,
    DonationStatus,
    Donor,
    DonorKind,
    FundraisingProfile,
    Method,
)
from legami.roles import Role
from partners.models import OrganisationKind
from tests.legami.factories import UserFactory
from tests.partners.factories import MembershipFactory, OrganisationFactory


def collector(*, third_sector_body: bool = True, **kwargs: Any) -> Any:
    """An organisation that collects gifts (a foundation), with its fundraising profile."""
    kwargs.setdefault("kind", OrganisationKind.FONDAZIONE)
    organisation = OrganisationFactory(**kwargs)
    FundraisingProfile.objects.create(
        organisation=organisation,
        legal_name=f"{organisation.name} ETS",
        fiscal_code="93012345678",
        address="Via del Giordano 2, 26100 Cremona (CR)",
        iban="IT60X0542811101000000123456",
        third_sector_body=third_sector_body,
        runts_number="RUNTS-12345" if third_sector_body else "",
        receipt_signatory="Il Presidente",
    )
    return organisation


def fundraiser(organisation: Any, **kwargs: Any) -> Any:
    """A person raising funds for ``organisation`` (reads the interface in English), with
    the authenticator app the role requires (donors' data is personal data)."""
    from conftest import activate_totp

    kwargs.setdefault("user__language", "en")
    user = MembershipFactory(organisation=organisation, role=Role.FUNDRAISER, **kwargs).user
    activate_totp(user)
    return user


class CampaignFactory(DjangoModelFactory[Campaign]):
    class Meta:
        model = Campaign

    slug = factory.Sequence(lambda n: f"campagna-{n}")
    organisation = factory.LazyFunction(collector)
    title = factory.Sequence(lambda n: f"Campagna {n}")
    summary = "Un aiuto per le famiglie sole."
    story = "La storia della campagna."
    goal = Decimal("10000.00")
    starts_on = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=10))
    ends_on = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=50))
    status = CampaignStatus.PUBLISHED
    created_by = factory.SubFactory(UserFactory)


class DonorFactory(DjangoModelFactory[Donor]):
    class Meta:
        model = Donor

    kind = DonorKind.PERSON
    first_name = "Maria"
    last_name = factory.Sequence(lambda n: f"Rossi{n}")
    email = factory.Sequence(lambda n: f"donatore{n}@example.org")


class DonationFactory(DjangoModelFactory[Donation]):
    class Meta:
        model = Donation

    campaign = factory.SubFactory(CampaignFactory)
    organisation = factory.LazyAttribute(lambda o: o.campaign.organisation)
    donor = factory.SubFactory(DonorFactory)
    amount = Decimal("50.00")
    method = Method.BANK_TRANSFER
    status = DonationStatus.PLEDGED
