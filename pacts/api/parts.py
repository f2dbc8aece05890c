"""API of the goals, commitments and signatories of a pact, under
/api/v1/pacts/<public_id>/: listed as the reader may see them (partner staff, those
concerning their organisation), changed only while the pact is a draft — the services
refuse it otherwise, with their message."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from django.db.models import QuerySet
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from legami.api_permissions import PolicyViewSetMixin
from legami.policy import Action
from pacts import selectors
from pacts.api.common import PACT_PARAMETER, PactPartMixin, service_errors
from pacts.api.serializers import (
    CommitmentSerializer,
    GoalSerializer,
    PartnerCommitmentSerializer,
    PartnerGoalSerializer,
    PartnerPactSerializer,
    PartnerSignatorySerializer,
    SignatorySerializer,
)
from pacts.models import Signatory
from pacts.services import pacts as pact_services

# Adding, changing and removing a part is changing the pact.
_CHANGES: dict[str, Action] = dict.fromkeys(("create", "partial_update", "destroy"), Action.CHANGE)


def _schema(
    full: type[serializers.Serializer[Any]], partner: type[Any], name: str, editable: bool = True
) -> Any:
    rows = PolymorphicProxySerializer(
        component_name=f"{name}ForReader",
        serializers=[full, partner],
        resource_type_field_name=None,
        many=True,
    )
    schemas = {
        "list": extend_schema(parameters=[PACT_PARAMETER], responses=rows),
        "create": extend_schema(parameters=[PACT_PARAMETER], responses={201: full}),
        "destroy": extend_schema(parameters=[PACT_PARAMETER]),
    }
    if editable:
        schemas["partial_update"] = extend_schema(parameters=[PACT_PARAMETER])
    return extend_schema_view(**schemas)


class PactContentViewSet(PolicyViewSetMixin, PactPartMixin, viewsets.GenericViewSet[Any]):
    """What goals, commitments and signatories share: the list as the reader may see it,
    the changes through the draft-only services."""

    policy_resource = "pacts.pact"
    policy_actions: ClassVar[dict[str, Action]] = _CHANGES
    lookup_value_regex = "[0-9]+"
    pagination_class = None  # a pact has a handful of each
    part: ClassVar[str]  # the key of ``partner_view`` and the related name on the pact
    add: ClassVar[Callable[..., Any]]
    remove: ClassVar[Callable[..., Any]]
    remove_arg: ClassVar[str]

    def get_queryset(self) -> QuerySet[Any]:
        model = self.get_serializer_class().Meta.model  # type: ignore[attr-defined]
        if getattr(self, "swagger_fake_view", False):
            return model.objects.none()
        return model.objects.filter(pact=self.pact()).select_related("organisation")

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        pact = self.pact()
        if selectors.is_full_reader(request.user, pact):
            data = self.get_serializer(self.get_queryset(), many=True).data
        else:
            organisations = selectors.partner_organisations(request.user, pact)
            data = PartnerPactSerializer(selectors.partner_view(pact, organisations)).data[
                self.part
            ]
        self.audit()
        return Response(data)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self.check_object_permissions(request, self.pact())
        form = self.get_serializer(data=request.data)
        form.is_valid(raise_exception=True)
        with service_errors():
            added = type(self).add(pact=self.pact(), actor=request.user, **form.validated_data)
        self.audit()
        return Response(self.get_serializer(added).data, status=status.HTTP_201_CREATED)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        obj = self.get_object()
        with service_errors():
            type(self).remove(**{self.remove_arg: obj, "actor": request.user})
        return Response(status=status.HTTP_204_NO_CONTENT)


class EditablePartMixin:
    """PATCH of a part through its service (``change``; not named ``update``, which the
    router would take for PUT)."""

    change: ClassVar[Callable[..., Any]]
    change_arg: ClassVar[str]

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        view: Any = self
        obj = view.get_object()
        form = view.get_serializer(obj, data=request.data, partial=True)
        form.is_valid(raise_exception=True)
        with service_errors():
            changed = type(self).change(
                **{self.change_arg: obj, "actor": request.user}, **form.validated_data
            )
        view.audit()
        return Response(view.get_serializer(changed).data)


@_schema(GoalSerializer, PartnerGoalSerializer, "Goals")
class GoalViewSet(EditablePartMixin, PactContentViewSet):
    """The goals of a pact, each with an indicator and a target date; partner staff see
    those that concern their organisation."""

    serializer_class = GoalSerializer
    audit_purpose = "pact goals API"
    part = "goals"
    add = staticmethod(pact_services.goal_add)
    change = staticmethod(pact_services.goal_update)
    change_arg = "goal"
    remove = staticmethod(pact_services.goal_remove)
    remove_arg = "goal"


@_schema(CommitmentSerializer, PartnerCommitmentSerializer, "Commitments")
class CommitmentViewSet(EditablePartMixin, PactContentViewSet):
    """The two-way commitments of a pact: support to the person and what the person
    gives back; partner staff see those of their organisation."""

    serializer_class = CommitmentSerializer
    audit_purpose = "pact commitments API"
    part = "commitments"
    add = staticmethod(pact_services.commitment_add)
    change = staticmethod(pact_services.commitment_update)
    change_arg = "commitment"
    remove = staticmethod(pact_services.commitment_remove)
    remove_arg = "commitment"


@_schema(SignatorySerializer, PartnerSignatorySerializer, "Signatories", editable=False)
class SignatoryViewSet(PactContentViewSet):
    """Who signs the pact. Partner organisations and community actors are added to a
    draft and taken off it; the person and the case worker sign every pact."""

    serializer_class = SignatorySerializer
    audit_purpose = "pact signatories API"
    part = "signatories"
    add = staticmethod(pact_services.signatory_add)
    remove = staticmethod(pact_services.signatory_remove)
    remove_arg = "signatory"

    def get_queryset(self) -> QuerySet[Signatory]:
        return super().get_queryset().select_related("user", "pact__person")
