"""API of following a pact: its reviews and work placements under
/api/v1/pacts/<public_id>/, the hours of its reciprocity ledger, and the current user's
review reminders under /api/v1/pact-reminders/. Every change through the services, every
answer that shows a pact's data in the access log (action "api")."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from legami.api_permissions import PolicyViewSetMixin
from legami.policy import Action, visible_to
from pacts import selectors
from pacts.api.common import PACT_PARAMETER, PactPartMixin, audit_pacts, service_errors
from pacts.api.serializers import (
    HoursSerializer,
    PlacementSerializer,
    ReminderSerializer,
    ReverseSerializer,
    ReviewCreateSerializer,
    ReviewSerializer,
    TransactionSerializer,
)
from pacts.models import LedgerTransaction, Placement, Reminder, Review, ReviewGoalOutcome
from pacts.services import follow as follow_services
from pacts.services import ledger as ledger_services


class PactListMixin(PactPartMixin):
    """A paginated list of a part of the pact, logged as a read of the pact's person."""

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response: Response = super().list(request, *args, **kwargs)  # type: ignore[misc]
        self.audit()
        return response


@extend_schema_view(
    list=extend_schema(parameters=[PACT_PARAMETER]),
    create=extend_schema(
        parameters=[PACT_PARAMETER],
        request=ReviewCreateSerializer,
        responses={201: ReviewSerializer},
    ),
)
class ReviewViewSet(
    PolicyViewSetMixin, PactListMixin, mixins.ListModelMixin, viewsets.GenericViewSet[Review]
):
    """The reviews (verifiche) of a pact, newest first, with an outcome per goal.
    Recording one on an active pact puts it in review first; a final review completes
    the pact, any other sets the date of the next one."""

    policy_resource = "pacts.review"
    serializer_class = ReviewSerializer
    audit_purpose = "pact reviews API"

    def get_queryset(self) -> QuerySet[Review]:
        if getattr(self, "swagger_fake_view", False):
            return Review.objects.none()
        return (
            visible_to(self.request.user, Review, Action.LIST)
            .filter(pact=self.pact())
            .select_related("held_by")
            .prefetch_related(
                Prefetch("outcomes", queryset=ReviewGoalOutcome.objects.order_by("goal_id"))
            )
            .order_by("-date", "-id")
        )

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        pact = self.pact()
        self.check_object_permissions(request, pact)
        form = ReviewCreateSerializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        outcomes = {row["goal"]: (row["outcome"], row["note"]) for row in data.pop("outcomes")}
        with service_errors():
            review = follow_services.review_record(
                pact=pact, actor=request.user, outcomes=outcomes, **data
            )
        self.audit()
        return Response(ReviewSerializer(review).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(parameters=[PACT_PARAMETER]),
    create=extend_schema(parameters=[PACT_PARAMETER]),
    partial_update=extend_schema(parameters=[PACT_PARAMETER]),
)
class PlacementViewSet(
    PolicyViewSetMixin, PactListMixin, mixins.ListModelMixin, viewsets.GenericViewSet[Placement]
):
    """The work-inclusion placements (tirocini) linked to a pact, and their outcome."""

    policy_resource = "pacts.placement"
    serializer_class = PlacementSerializer
    audit_purpose = "pact placements API"
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> QuerySet[Placement]:
        if getattr(self, "swagger_fake_view", False):
            return Placement.objects.none()
        return (
            visible_to(self.request.user, Placement, Action.LIST)
            .filter(pact=self.pact())
            .select_related("host_organisation")
        )

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        pact = self.pact()
        self.check_object_permissions(request, pact)
        form = self.get_serializer(data=request.data)
        form.is_valid(raise_exception=True)
        with service_errors():
            placement = follow_services.placement_add(
                pact=pact, actor=request.user, **form.validated_data
            )
        self.audit()
        return Response(self.get_serializer(placement).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        placement = self.get_object()
        form = self.get_serializer(placement, data=request.data, partial=True)
        form.is_valid(raise_exception=True)
        with service_errors():
            placement = follow_services.placement_update(
                placement=placement, actor=request.user, **form.validated_data
            )
        self.audit()
        return Response(self.get_serializer(placement).data)


@extend_schema_view(
    list=extend_schema(parameters=[PACT_PARAMETER]),
    create=extend_schema(
        parameters=[PACT_PARAMETER], request=HoursSerializer, responses={201: TransactionSerializer}
    ),
    reverse=extend_schema(
        parameters=[PACT_PARAMETER],
        request=ReverseSerializer,
        responses={201: TransactionSerializer},
    ),
)
class TransactionViewSet(
    PolicyViewSetMixin,
    PactListMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet[LedgerTransaction],
):
    """The hours of the pact's reciprocity ledger the user may read: all of them for the
    case workers, those exchanged with their organisation for partner staff. Partner
    staff record and cancel the hours of their own organisation; a recorded transaction
    is never changed, a mistake is cancelled by a reversal (``reverse``)."""

    policy_resource = "pacts.ledgertransaction"
    # Who records hours is ``legami.policy.may_record_hours`` (the service asks it): whoever may see
    # some hours of the ledger is let through to it.
    policy_actions: ClassVar[dict[str, Action]] = {
        "create": Action.LIST,
        "reverse": Action.READ,
    }
    serializer_class = TransactionSerializer
    audit_purpose = "pact ledger API"
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> QuerySet[LedgerTransaction]:
        if getattr(self, "swagger_fake_view", False):
            return LedgerTransaction.objects.none()
        return selectors.pact_ledger(user=self.request.user, pact=self.pact())

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        pact = self.pact()
        form = HoursSerializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        with service_errors():
            txn = ledger_services.hours_record(pact=pact, actor=request.user, **form.validated_data)
        self.audit()
        return Response(TransactionSerializer(txn).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def reverse(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Cancel recorded hours with a reversal (same hours, sides swapped, today)."""
        txn = self.get_object()
        form = ReverseSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        with service_errors():
            reversal = ledger_services.transaction_reverse(
                txn=txn, actor=request.user, reason=form.validated_data["reason"]
            )
        self.audit()
        return Response(TransactionSerializer(reversal).data, status=status.HTTP_201_CREATED)


@extend_schema_view(dismiss=extend_schema(request=None, responses=ReminderSerializer))
class ReminderViewSet(PolicyViewSetMixin, mixins.ListModelMixin, viewsets.GenericViewSet[Reminder]):
    """The current user's review reminders still on their dashboard; ``dismiss`` takes
    one off it."""

    policy_resource = "pacts.reminder"
    policy_actions: ClassVar[dict[str, Action]] = {"dismiss": Action.CHANGE}
    serializer_class = ReminderSerializer
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> QuerySet[Reminder]:
        if getattr(self, "swagger_fake_view", False):
            return Reminder.objects.none()
        if self.action == "list":
            reminders = selectors.reminders_for(user=self.request.user)
        else:
            reminders = visible_to(self.request.user, Reminder, Action.CHANGE)
        return reminders.select_related("pact__person")

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = list(self.paginate_queryset(self.get_queryset()) or [])
        audit_pacts([reminder.pact for reminder in page], "pact reminders API")
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @action(detail=True, methods=["post"])
    def dismiss(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Take the reminder off the dashboard."""
        reminder = follow_services.reminder_dismiss(reminder=self.get_object(), actor=request.user)
        audit_pacts([reminder.pact], "pact reminders API")
        return Response(self.get_serializer(reminder).data)
