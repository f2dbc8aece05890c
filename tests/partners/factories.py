"""Factories of the partners app's models."""

from __future__ import annotations

import datetime as dt

import factory
from factory.django import DjangoModelFactory

from legami.roles import Role
from partners.models import Membership, Organisation, OrganisationKind
from tests.legami.factories import UserFactory


class OrganisationFactory(DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ("slug",)
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Cooperativa Sociale Prova {n}")
    slug = factory.Sequence(lambda n: f"cooperativa-prova-{n}")
    kind = OrganisationKind.COOPERATIVA_SOCIALE

    @factory.post_generation
    def ambiti(self, create, extracted, **kwargs):
        if create and extracted:
            self.ambiti.set(extracted)


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = Role.OPERATOR
    start_date = dt.date(2025, 1, 1)
    end_date = None
