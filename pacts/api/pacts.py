"""API of the pacts themselves, under /api/v1/pacts/: the list and a pact as its reader
may see it (whole, or the partner's part), drafting and changing one, and the moves of
its lifecycle — each through the services, each answer that shows the pact in the access
log (action "api")."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import (
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
)
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from beneficiaries.models import Person
from legami.api_permissions import PolicyViewSetMixin
from legami.policy import Action, visible_to
from pacts import selectors
from pacts.api.common import (
    PACT_RESPONSE,
    audit_pacts,
    pact_data,
    pact_rows,
    service_errors,
    with_parts,
)
from pacts.api.serializers import (
    BalanceSerializer,
    InterruptSerializer,
    OutcomesSerializer,
    PactCreateSerializer,
    PactFilterSerializer,
    PactListSerializer,
    PactUpdateSerializer,
    PartnerPactSerializer,
    RenewSerializer,
    SignSerializer,
    StartSerializer,
)
from pacts.models import Pact
from pacts.services import follow as follow_services
from pacts.services import pacts as pact_services

PACT_ROWS = PolymorphicProxySerializer(
    component_name="PactRowForReader",
    serializers=[PactListSerializer, PartnerPactSerializer],
    resource_type_field_name=None,
    many=True,
)


def _move(request: Any = None) -> Any:
    """The schema of a move of the lifecycle: it answers with the pact."""
    return extend_schema(request=request, responses=PACT_RESPONSE)


@extend_schema_view(
    list=extend_schema(parameters=[PactFilterSerializer], responses=PACT_ROWS),
    retrieve=extend_schema(responses=PACT_RESPONSE),
    create=extend_schema(request=PactCreateSerializer, responses={201: PACT_RESPONSE}),
    partial_update=extend_schema(request=PactUpdateSerializer, responses=PACT_RESPONSE),
    propose=_move(),
    back_to_draft=_move(),
    start=_move(StartSerializer),
    interrupt=_move(InterruptSerializer),
    renew=extend_schema(request=RenewSerializer, responses={201: PACT_RESPONSE}),
    sign=_move(SignSerializer),
    review_start=_move(),
    balance=extend_schema(responses=BalanceSerializer),
    outcomes=extend_schema(responses=OutcomesSerializer),
)
class PactViewSet(PolicyViewSetMixin, viewsets.GenericViewSet[Pact]):
    """The pacts the user may see: whole for the case workers and the coordinators of the
    case, and for partner staff of a signatory organisation only the part that concerns
    it (``pacts.selectors.partner_view``). A draft changes through PATCH and its goals,
    commitments and signatories; the lifecycle moves through the actions (the same state
    machine as the pages), and an invalid move answers 400 with its reason."""

    policy_resource = "pacts.pact"
    policy_actions: ClassVar[dict[str, Action]] = {
        **dict.fromkeys(
            ("propose", "back_to_draft", "start", "interrupt", "renew", "review_start"),
            Action.CHANGE,
        ),
        # Signing asks the service who signs for what; balances are for full readers.
        **dict.fromkeys(("sign", "balance", "outcomes"), Action.READ),
    }
    lookup_field = "public_id"
    lookup_value_regex = "[0-9a-fA-F-]{36}"
    serializer_class = PactListSerializer

    def get_queryset(self) -> QuerySet[Pact]:
        if getattr(self, "swagger_fake_view", False):
            return Pact.objects.none()
        return visible_to(self.request.user, Pact, Action.READ).select_related("person", "case")

    def _answer(self, public_id: Any, code: int = status.HTTP_200_OK) -> Response:
        """The pact as the user may read it now, logged as read."""
        try:
            public_id = uuid.UUID(str(public_id))
        except ValueError as exc:
            raise Http404 from exc
        pact = selectors.pact_detail(user=self.request.user, public_id=public_id)
        if pact is None:
            raise Http404
        audit_pacts([pact], "pact API")
        return Response(pact_data(self.request.user, pact, self.get_serializer_context()), code)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        form = PactFilterSerializer(data=request.query_params)
        form.is_valid(raise_exception=True)
        filters = dict(form.validated_data)
        if "person" in filters:
            # An unknown person filters everything out, as one the user cannot see does.
            filters["person"] = (
                Person.objects.filter(public_id=filters["person"])
                .values_list("pk", flat=True)
                .first()
                or 0
            )
        pacts = with_parts(selectors.pact_list(user=request.user, filters=filters))
        page = list(self.paginate_queryset(pacts) or [])
        audit_pacts(page, "pact list API")
        return self.get_paginated_response(pact_rows(request.user, page))

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._answer(kwargs["public_id"])

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Draft a pact for an open case the user works on (the person and the user are
        added as signatories)."""
        form = PactCreateSerializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        with service_errors():
            pact = pact_services.pact_create(actor=request.user, **form.validated_data)
        return self._answer(pact.public_id, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Change the fields sent: any of them in a draft, the review schedule and the
        planned end while the pact runs."""
        pact = self.get_object()
        form = PactUpdateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        with service_errors():
            pact_services.pact_update(pact=pact, actor=request.user, **form.validated_data)
        return self._answer(pact.public_id)

    @action(detail=True, methods=["post"])
    def propose(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Put a complete draft to its signatories (draft → proposed)."""
        pact = self.get_object()
        with service_errors():
            pact_services.pact_propose(pact=pact, actor=request.user)
        return self._answer(pact.public_id)

    @action(detail=True, methods=["post"], url_path="back-to-draft")
    def back_to_draft(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Take a proposed pact back to draft to change it; the signatures are cleared."""
        pact = self.get_object()
        with service_errors():
            pact_services.pact_back_to_draft(pact=pact, actor=request.user)
        return self._answer(pact.public_id)

    @action(detail=True, methods=["post"])
    def start(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Start a signed pact (on the date given, else its start date or today)."""
        pact = self.get_object()
        form = StartSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        with service_errors():
            pact_services.pact_start(pact=pact, actor=request.user, on=form.validated_data["on"])
        return self._answer(pact.public_id)

    @action(detail=True, methods=["post"])
    def interrupt(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Interrupt a proposed, signed or running pact, with the reason."""
        pact = self.get_object()
        form = InterruptSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        with service_errors():
            pact_services.pact_interrupt(
                pact=pact, actor=request.user, reason=form.validated_data["reason"]
            )
        return self._answer(pact.public_id)

    @action(detail=True, methods=["post"])
    def renew(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Renew a completed pact: a new draft carrying over the goals not achieved, the
        commitments and the signatories. Answers with the new pact."""
        pact = self.get_object()
        form = RenewSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        with service_errors():
            new = pact_services.pact_renew(
                pact=pact, actor=request.user, title=form.validated_data["title"]
            )
        return self._answer(new.public_id, status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def sign(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Sign a proposed pact for one signatory: partner staff for their organisation,
        the case worker for themselves, a case worker recording the person's or a
        community actor's signature on paper. The last signature signs the pact."""
        pact = self.get_object()
        form = SignSerializer(data=request.data, context={"pact": pact})
        form.is_valid(raise_exception=True)
        with service_errors():
            pact_services.pact_sign(
                pact=pact, signatory=form.validated_data["signatory"], signer=request.user
            )
        return self._answer(pact.public_id)

    @action(detail=True, methods=["post"], url_path="review-start")
    def review_start(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Open the review of an active pact (active → in review)."""
        pact = self.get_object()
        with service_errors():
            follow_services.review_start(pact=pact, actor=request.user)
        return self._answer(pact.public_id)

    def _full_reader_pact(self) -> Pact:
        pact = self.get_object()
        if not selectors.is_full_reader(self.request.user, pact):
            raise PermissionDenied
        audit_pacts([pact], "pact outcomes API")
        return pact

    @action(detail=True, methods=["get"])
    def balance(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Hours the person gave back and received within the pact (full readers)."""
        pact = self._full_reader_pact()
        return Response(BalanceSerializer(selectors.pact_balance(pact)).data)

    @action(detail=True, methods=["get"])
    def outcomes(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Goals achieved, hours given back and the LSNS-6 change (full readers)."""
        pact = self._full_reader_pact()
        return Response(OutcomesSerializer(selectors.pact_outcomes(pact)).data)
