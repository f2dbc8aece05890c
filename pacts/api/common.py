"""What the pacts API modules share: the pact parameter of the paths, the lookup of the pact
among those the user may read (404 otherwise), the representation of a pact for its
reader (the whole pact, or the partner's part), and the read that every answer carrying
pact data writes to the access log."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from django.db.models import Model, Prefetch, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer
from rest_framework.generics import get_object_or_404
from rest_framework.request import Request

from beneficiaries.api.common import service_errors
from legami.audit import audit_read
from legami.policy import Action, subject_for, visible_to
from legami.roles import Role
from pacts import selectors
from pacts.api.serializers import PactListSerializer, PactSerializer, PartnerPactSerializer
from pacts.models import Commitment, Goal, Pact, Signatory

__all__ = [
    "PACT_PARAMETER",
    "PACT_RESPONSE",
    "PactPartMixin",
    "audit_pacts",
    "pact_data",
    "pact_rows",
    "service_errors",
]

PACT_PARAMETER = OpenApiParameter(
    "public_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="Public id of the pact"
)

# A pact reads whole for its case workers and coordinators, and as the partner's part
# (``selectors.partner_view``) for partner staff of a signatory organisation.
PACT_RESPONSE = PolymorphicProxySerializer(
    component_name="PactForReader",
    serializers=[PactSerializer, PartnerPactSerializer],
    resource_type_field_name=None,
)


def audit_pacts(pacts: Iterable[Pact], purpose: str) -> None:
    """Log the read of the persons whose pacts an answer shows (once each)."""
    persons = {pact.person_id: pact.person for pact in pacts}
    if persons:
        audit_read(objs=list(persons.values()), action="api", purpose=purpose)


def pact_data(user: Any, pact: Pact, context: dict[str, Any] | None = None) -> dict[str, Any]:
    """The pact as ``user`` may read it: whole for a full reader, else exactly the part
    of the partner organisations of ``user`` that sign it."""
    if selectors.is_full_reader(user, pact):
        return dict(PactSerializer(pact, context=context or {}).data)
    organisations = selectors.partner_organisations(user, pact)
    return dict(PartnerPactSerializer(selectors.partner_view(pact, organisations)).data)


def with_parts(pacts: QuerySet[Pact]) -> QuerySet[Pact]:
    """What ``partner_view`` reads, fetched for a whole page of pacts at once."""
    return pacts.prefetch_related(
        Prefetch("goals", queryset=Goal.objects.all()),
        Prefetch("commitments", queryset=Commitment.objects.all()),
        Prefetch("signatories", queryset=Signatory.objects.select_related("organisation", "user")),
    )


def pact_rows(user: Any, pacts: list[Pact]) -> list[dict[str, Any]]:
    """Rows of a page of pacts, each as its reader may see it, in a fixed number of
    queries: the same decisions as ``selectors.is_full_reader`` and
    ``selectors.partner_organisations``, taken for the whole page."""
    full = selectors.full_reader_case_ids(user, {pact.case_id for pact in pacts})
    partner_orgs = subject_for(user).orgs(Role.PARTNER_STAFF)
    rows = []
    for pact in pacts:
        if pact.case_id in full:
            rows.append(dict(PactListSerializer(pact).data))
            continue
        organisations = frozenset(
            s.organisation_id for s in pact.signatories.all() if s.organisation_id in partner_orgs
        )
        rows.append(dict(PartnerPactSerializer(selectors.partner_view(pact, organisations)).data))
    return rows


class PactPartMixin:
    """Viewsets of a part of a pact, reached under the pact's public id. The pact is
    looked up among those the user may read (404 otherwise), and the policy is asked about
    the pact for every record of its parts: a part follows its pact."""

    audit_purpose: ClassVar[str]
    _pact: Pact | None = None

    def pact(self) -> Pact:
        view: Any = self
        if self._pact is None:
            self._pact = get_object_or_404(
                visible_to(view.request.user, Pact, Action.READ).select_related("person"),
                public_id=view.kwargs["public_id"],
            )
        return self._pact

    def check_object_permissions(self, request: Request, obj: Model) -> None:
        super().check_object_permissions(request, self.pact())  # type: ignore[misc]

    def audit(self) -> None:
        """Log the read of the pact's person that the answer being built shows."""
        audit_pacts([self.pact()], self.audit_purpose)
