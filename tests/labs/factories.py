"""Labs and meetings for tests. Registrations are made through the services
(``labs.services.registration_create``), never by factory: only the service keeps the
meeting's ``seats_taken`` in step with the confirmed registrations."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from labs.models import Lab, LabContext, Meeting
from tests.legami.factories import AmbitoFactory


class LabFactory(DjangoModelFactory[Lab]):
    class Meta:
        model = Lab

    slug = factory.Sequence(lambda n: f"lab-{n}")
    title = factory.Sequence(lambda n: f"Laboratorio di comunità {n}")
    context = LabContext.NEIGHBOURHOOD
    ambito = factory.SubFactory(AmbitoFactory)


class MeetingFactory(DjangoModelFactory[Meeting]):
    """A meeting a week from now, two hours long, in a place, with no limit of seats."""

    class Meta:
        model = Meeting

    lab = factory.SubFactory(LabFactory)
    title = factory.Sequence(lambda n: f"Incontro {n}")
    starts_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=7))
    ends_at = factory.LazyAttribute(lambda m: m.starts_at + dt.timedelta(hours=2))
    place = "Casa del quartiere"
    address = "Via Roma 1"
    capacity = 0
    reserved_seats = 0
