"""Catalogue, demands and offers for tests. Agreements are made by the matching
(``civic_center.services.run_execute``) or ``AgreementFactory`` for page tests only."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from civic_center import windows
from civic_center.models import (
    Demand,
    Offer,
    OfferStatus,
    OfferWindow,
    PriceTier,
    PricingMode,
    ServiceCategory,
    Unit,
)
from tests.legami.factories import AmbitoFactory, ComuneFactory, UserFactory
from tests.partners.factories import OrganisationFactory

# Weekday afternoons, Monday to Friday.
WEEKDAY_AFTERNOONS = windows.mask_of(windows.index(day, 1) for day in range(5))


class ServiceCategoryFactory(DjangoModelFactory[ServiceCategory]):
    class Meta:
        model = ServiceCategory
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"servizio-{n}")
    name = factory.Sequence(lambda n: f"Servizio {n}")
    name_en = factory.Sequence(lambda n: f"Service {n}")
    unit = Unit.HOUR


class DemandFactory(DjangoModelFactory[Demand]):
    """An open demand of a family with an account: 4 hours a week on weekday
    afternoons for the next three months, at most 12 € an hour, sharing accepted."""

    class Meta:
        model = Demand

    family = factory.SubFactory(UserFactory)
    created_by = factory.SelfAttribute("family")
    contact_name = factory.Faker("name", locale="it_IT")
    contact_email = factory.LazyAttribute(lambda d: d.family.email if d.family else "")
    contact_phone = "+39 0372 000000"
    address = "Via Dante 10"
    category = factory.SubFactory(ServiceCategoryFactory)
    comune = factory.SubFactory(ComuneFactory, ambito=factory.SubFactory(AmbitoFactory))
    windows = WEEKDAY_AFTERNOONS
    start_date = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=14))
    end_date = factory.LazyAttribute(lambda d: d.start_date + dt.timedelta(days=90))
    quantity_per_week = Decimal("4.00")
    max_unit_price = Decimal("12.00")
    accepts_sharing = True


class OfferFactory(DjangoModelFactory[Offer]):
    """A published offer valid for a year, volume tiers 15 € alone, 12 € from 3
    families, 9 € from 5; 40 units a week on each weekday afternoon. Pass ``comuni``."""

    class Meta:
        model = Offer
        skip_postgeneration_save = True

    organisation = factory.SubFactory(OrganisationFactory)
    title = factory.Sequence(lambda n: f"Offerta {n}")
    category = factory.SubFactory(ServiceCategoryFactory)
    pricing_mode = PricingMode.VOLUME
    min_group_size = 1
    valid_from = factory.LazyFunction(lambda: timezone.localdate())
    valid_until = factory.LazyAttribute(lambda o: o.valid_from + dt.timedelta(days=365))
    status = OfferStatus.PUBLISHED

    @factory.post_generation
    def comuni(self, create, extracted, **kwargs):
        if create and extracted:
            self.comuni.set(extracted)

    @factory.post_generation
    def tiers(self, create, extracted, **kwargs):
        if not create:
            return
        rows = extracted if extracted is not None else [(1, "15.00"), (3, "12.00"), (5, "9.00")]
        for min_families, price in rows:
            PriceTier.objects.create(
                offer=self, min_families=min_families, unit_price=Decimal(price)
            )

    @factory.post_generation
    def capacity(self, create, extracted, **kwargs):
        if not create:
            return
        rows = (
            extracted
            if extracted is not None
            else {windows.index(day, 1): "40" for day in range(5)}
        )
        for window, units in rows.items():
            OfferWindow.objects.create(offer=self, window=window, units=Decimal(units))
