"""Factories of the core's models."""

from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from legami.models import Ambito, Comune, User

PASSWORD = "a-long-test-password-1"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    first_name = factory.Faker("first_name", locale="it_IT")
    last_name = factory.Faker("last_name", locale="it_IT")
    password = factory.django.Password(PASSWORD)


class AmbitoFactory(DjangoModelFactory):
    class Meta:
        model = Ambito
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"ambito-{n}")
    name = factory.Sequence(lambda n: f"Ambito di Prova {n}")
    managing_body = factory.Sequence(lambda n: f"Ente gestore {n}")


class ComuneFactory(DjangoModelFactory):
    class Meta:
        model = Comune
        django_get_or_create = ("belfiore_code",)

    # Z is the letter of foreign countries in the Belfiore scheme: these never collide
    # with a real comune that a test imports.
    belfiore_code = factory.Sequence(lambda n: f"Z{n % 1000:03d}")
    name = factory.Sequence(lambda n: f"Comune di prova {n}")
    province = "CR"
    ambito = None
