"""Needs and interventions for tests. Supports are given through the services
(``labs.services.needs.need_vote``), never by factory: only the service keeps the need's
``votes_count`` in step with its supports."""

from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from labs.models import Intervention, Lab, LabStatus, Need, NeedCategory
from tests.labs.factories import LabFactory
from tests.partners.factories import OrganisationFactory


class ActiveLabFactory(LabFactory):
    """A lab under way: its board is public."""

    status = LabStatus.ACTIVE


class NeedFactory(DjangoModelFactory[Need]):
    class Meta:
        model = Need

    lab = factory.SubFactory(ActiveLabFactory)
    title = factory.Sequence(lambda n: f"Bisogno {n}")
    description = "Mancano luoghi dove incontrarsi la sera."
    category = NeedCategory.LONELINESS


class InterventionFactory(DjangoModelFactory[Intervention]):
    class Meta:
        model = Intervention

    lab = factory.SubFactory(ActiveLabFactory)
    title = factory.Sequence(lambda n: f"Intervento {n}")
    owner = factory.SubFactory(OrganisationFactory)
    plan = "Apertura serale della casa del quartiere."


def facilitated_lab(user, **kwargs) -> Lab:
    """An active lab that ``user`` facilitates."""
    lab = ActiveLabFactory(**kwargs)
    lab.facilitators.add(user)
    return lab
