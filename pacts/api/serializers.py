"""Serializers of the pacts API. They carry no rules: what a reader may see is decided by
the selectors (``is_full_reader``, ``partner_view``), every change by the services."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from django.db.models import QuerySet
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from beneficiaries.models import Assessment, AssessmentKind, Case
from legami.policy import Action, visible_to
from pacts import selectors
from pacts.models import (
    Commitment,
    CommitmentDirection,
    Goal,
    GoalOutcome,
    LedgerTransaction,
    Pact,
    PactStatus,
    Placement,
    Reminder,
    Review,
    ReviewGoalOutcome,
    Signatory,
    SignatoryKind,
)
from partners.models import Organisation

# --- Fields ------------------------------------------------------------------------------


def _choice_field(choices: type[Any], component: str) -> Callable[..., serializers.ChoiceField]:
    """A choice field whose enum is one named component of the schema, wherever it is
    used (the same choices in several serializers would otherwise get a hashed name)."""

    @extend_schema_field({"type": "string", "enum": list(choices.values)}, component_name=component)
    class Field(serializers.ChoiceField):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(choices=choices.choices, **kwargs)

    Field.__name__ = Field.__qualname__ = f"{component}Field"
    return Field


PactStatusField = _choice_field(PactStatus, "PactStatus")
DirectionField = _choice_field(CommitmentDirection, "CommitmentDirection")
SignatoryKindField = _choice_field(SignatoryKind, "SignatoryKind")
GoalOutcomeField = _choice_field(GoalOutcome, "GoalOutcome")


@extend_schema_field(OpenApiTypes.INT)
class ScopedPrimaryKeyField(serializers.PrimaryKeyRelatedField):
    """A primary key among records that depend on the request (its type is an integer)."""


# --- The whole pact, for its case workers and coordinators -----------------------------------


class GoalSerializer(serializers.ModelSerializer[Goal]):
    organisation = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.all(), allow_null=True, required=False
    )
    organisation_name = serializers.CharField(
        source="organisation.name", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = Goal
        fields = [
            "id",
            "position",
            "description",
            "indicator",
            "target",
            "target_date",
            "organisation",
            "organisation_name",
        ]
        read_only_fields = ["position"]


class CommitmentSerializer(serializers.ModelSerializer[Commitment]):
    organisation = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.all(), allow_null=True, required=False
    )
    direction = DirectionField()
    owner_label = serializers.CharField(read_only=True)

    class Meta:
        model = Commitment
        fields = [
            "id",
            "position",
            "direction",
            "kind",
            "description",
            "organisation",
            "owner",
            "owner_label",
            "quantity",
            "unit",
            "period",
        ]
        read_only_fields = ["position"]
        validators: ClassVar[list[Any]] = []  # the service checks kind against direction


class SignatorySerializer(serializers.ModelSerializer[Signatory]):
    """A party to the pact. Only partner organisations and community actors are added:
    the person and the case worker are on every pact from its creation."""

    kind = SignatoryKindField(
        help_text="Added: organisation or community (the person and the case worker are "
        "on every pact already).",
    )
    organisation = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.all(), allow_null=True, required=False
    )
    label = serializers.CharField(read_only=True)  # type: ignore[assignment]

    class Meta:
        model = Signatory
        fields = [
            "id",
            "kind",
            "organisation",
            "user",
            "name",
            "label",
            "signed_at",
            "signed_by",
            "on_paper",
        ]
        read_only_fields = ["user", "signed_at", "signed_by", "on_paper"]
        validators: ClassVar[list[Any]] = []  # the service checks one signature per organisation


class ReviewOutcomeSerializer(serializers.ModelSerializer[ReviewGoalOutcome]):
    outcome = GoalOutcomeField(read_only=True)

    class Meta:
        model = ReviewGoalOutcome
        fields = ["goal", "outcome", "note"]


class ReviewSerializer(serializers.ModelSerializer[Review]):
    outcomes = ReviewOutcomeSerializer(many=True, read_only=True)
    held_by_name = serializers.SerializerMethodField()

    class Meta:
        model = Review
        fields = [
            "id",
            "date",
            "notes",
            "next_review_on",
            "final",
            "assessment",
            "held_by_name",
            "outcomes",
        ]

    def get_held_by_name(self, review: Review) -> str:
        user = review.held_by
        return (user.get_full_name() or user.email) if user is not None else ""


class PlacementSerializer(serializers.ModelSerializer[Placement]):
    host_organisation = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.all(), allow_null=True, required=False
    )
    host_label = serializers.CharField(read_only=True)

    class Meta:
        model = Placement
        fields = [
            "id",
            "host_organisation",
            "host_name",
            "host_label",
            "tutor",
            "role",
            "start_date",
            "end_date",
            "hours_per_week",
            "outcome",
            "outcome_date",
            "notes",
        ]
        validators: ClassVar[list[Any]] = []  # the service checks host, dates and outcome


class PactSerializer(serializers.ModelSerializer[Pact]):
    """The whole pact: what its case workers and the coordinators of its ambito read."""

    person = serializers.UUIDField(source="person.public_id", read_only=True)
    person_name = serializers.CharField(source="person.__str__", read_only=True)
    renewal_of = serializers.UUIDField(
        source="renewal_of.public_id", read_only=True, allow_null=True, default=None
    )
    status = PactStatusField(read_only=True)
    has_scan = serializers.SerializerMethodField()
    goals = GoalSerializer(many=True, read_only=True)
    commitments = CommitmentSerializer(many=True, read_only=True)
    signatories = SignatorySerializer(many=True, read_only=True)
    reviews = ReviewSerializer(many=True, read_only=True)
    placements = PlacementSerializer(many=True, read_only=True)

    class Meta:
        model = Pact
        fields = [
            "public_id",
            "case",
            "person",
            "person_name",
            "covers_household",
            "title",
            "context",
            "strengths",
            "status",
            "start_date",
            "end_date",
            "review_every_weeks",
            "next_review_on",
            "ended_on",
            "interruption_reason",
            "renewal_of",
            "has_scan",
            "created_at",
            "updated_at",
            "goals",
            "commitments",
            "signatories",
            "reviews",
            "placements",
        ]
        read_only_fields = fields

    def get_has_scan(self, pact: Pact) -> bool:
        return bool(pact.scan)


class PactListSerializer(serializers.ModelSerializer[Pact]):
    """A row of the pact list for a full reader."""

    person = serializers.UUIDField(source="person.public_id", read_only=True)
    person_name = serializers.CharField(source="person.__str__", read_only=True)
    status = PactStatusField(read_only=True)
    goal_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Pact
        fields = [
            "public_id",
            "case",
            "person",
            "person_name",
            "title",
            "status",
            "start_date",
            "end_date",
            "next_review_on",
            "goal_count",
        ]
        read_only_fields = fields


# --- The part of a pact a partner organisation reads (selectors.partner_view) ----------------


class PartnerGoalSerializer(serializers.Serializer[dict[str, Any]]):
    id = serializers.IntegerField()
    description = serializers.CharField()
    indicator = serializers.CharField()
    target = serializers.CharField()
    target_date = serializers.DateField()
    organisation = serializers.IntegerField(allow_null=True)


class PartnerCommitmentSerializer(serializers.Serializer[dict[str, Any]]):
    id = serializers.IntegerField()
    direction = DirectionField()
    kind = serializers.CharField()
    description = serializers.CharField()
    organisation = serializers.IntegerField(allow_null=True)
    quantity = serializers.DecimalField(max_digits=9, decimal_places=2)
    unit = serializers.CharField()
    period = serializers.CharField()


class PartnerSignatorySerializer(serializers.Serializer[dict[str, Any]]):
    id = serializers.IntegerField()
    kind = SignatoryKindField()
    label = serializers.CharField()  # type: ignore[assignment]
    signed_at = serializers.DateTimeField(allow_null=True)
    organisation = serializers.IntegerField(allow_null=True)


class PartnerPactSerializer(serializers.Serializer[dict[str, Any]]):
    """What partner staff who are not case readers see of a pact their organisation signs:
    exactly the keys of ``pacts.selectors.partner_view``, with only the goals and
    commitments that name their organisation."""

    public_id = serializers.UUIDField()
    title = serializers.CharField()
    status = PactStatusField()
    start_date = serializers.DateField(allow_null=True)
    end_date = serializers.DateField(allow_null=True)
    person_name = serializers.CharField()
    goals = PartnerGoalSerializer(many=True)
    commitments = PartnerCommitmentSerializer(many=True)
    signatories = PartnerSignatorySerializer(many=True)


# The partner serializers render exactly the fields of the selector: a field added to one
# and not the other fails at import, not in a partner's hands.
for _serializer, _fields in (
    (PartnerPactSerializer, selectors.PARTNER_PACT_FIELDS),
    (PartnerGoalSerializer, selectors.PARTNER_GOAL_FIELDS),
    (PartnerCommitmentSerializer, selectors.PARTNER_COMMITMENT_FIELDS),
    (PartnerSignatorySerializer, selectors.PARTNER_SIGNATORY_FIELDS),
):
    if set(_serializer().fields) != set(_fields):  # pragma: no cover - a programming error
        raise RuntimeError(f"{_serializer.__name__} does not match {_fields}")


# --- Input -------------------------------------------------------------------------------


class CaseField(ScopedPrimaryKeyField):
    """A case among those the user may read (the service asks whether they may change it)."""

    def get_queryset(self) -> QuerySet[Case]:
        request = self.context.get("request")
        if request is None:
            return Case.objects.none()
        return visible_to(request.user, Case, Action.READ).select_related("person")


class PactCreateSerializer(serializers.Serializer[Any]):
    case = CaseField(help_text="The open case the pact is made for.")
    title = serializers.CharField(max_length=200)
    context = serializers.CharField(required=False, default="", allow_blank=True)  # type: ignore[assignment]
    strengths = serializers.CharField(required=False, default="", allow_blank=True)
    covers_household = serializers.BooleanField(required=False, default=False)
    start_date = serializers.DateField(required=False, allow_null=True, default=None)
    end_date = serializers.DateField(required=False, allow_null=True, default=None)
    review_every_weeks = serializers.IntegerField(required=False, default=8)


class PactUpdateSerializer(serializers.Serializer[Any]):
    """The fields of a pact that change: all of them while a draft, the review schedule
    and the planned end while it runs. Only the fields sent are changed."""

    title = serializers.CharField(max_length=200, required=False)
    context = serializers.CharField(required=False, allow_blank=True)  # type: ignore[assignment]
    strengths = serializers.CharField(required=False, allow_blank=True)
    covers_household = serializers.BooleanField(required=False)
    start_date = serializers.DateField(required=False, allow_null=True)
    end_date = serializers.DateField(required=False, allow_null=True)
    review_every_weeks = serializers.IntegerField(required=False)


class PactFilterSerializer(serializers.Serializer[Any]):
    """The filters of the pact list."""

    status = PactStatusField(required=False)
    due = serializers.ChoiceField(
        choices=[("overdue", "overdue"), ("soon", "soon")],
        required=False,
        help_text="overdue: next review past; soon: within the reminder window.",
    )
    mine = serializers.BooleanField(
        required=False, default=False, help_text="Only pacts of cases the user is assigned to."
    )
    person = serializers.UUIDField(required=False, help_text="Public id of the person.")


class StartSerializer(serializers.Serializer[Any]):
    on = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="Start date (default today)."
    )


class InterruptSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(allow_blank=True)


class RenewSerializer(serializers.Serializer[Any]):
    title = serializers.CharField(
        max_length=200, required=False, default="", allow_blank=True, help_text="Default: same."
    )


class SignatoryOfPactField(ScopedPrimaryKeyField):
    """A signatory of the pact being signed (``context["pact"]``)."""

    def get_queryset(self) -> QuerySet[Signatory]:
        pact = self.context.get("pact")
        if pact is None:
            return Signatory.objects.none()
        return Signatory.objects.filter(pact=pact)


class SignSerializer(serializers.Serializer[Any]):
    signatory = SignatoryOfPactField(help_text="Id of the signatory signing.")


class OutcomeInputSerializer(serializers.Serializer[Any]):
    goal = serializers.IntegerField()
    outcome = GoalOutcomeField()
    note = serializers.CharField(max_length=300, required=False, default="", allow_blank=True)


class AssessmentOfPactField(ScopedPrimaryKeyField):
    """An LSNS-6 assessment of the pact's person."""

    def get_queryset(self) -> QuerySet[Assessment]:
        view = self.context.get("view")
        if view is None or getattr(view, "swagger_fake_view", False):
            return Assessment.objects.none()
        return Assessment.objects.filter(person=view.pact().person_id, kind=AssessmentKind.LSNS6)


class ReviewCreateSerializer(serializers.Serializer[Any]):
    """A review: an outcome for every goal, and the next review date unless final."""

    date = serializers.DateField(required=False, allow_null=True, default=None)
    notes = serializers.CharField(required=False, default="", allow_blank=True)
    next_review_on = serializers.DateField(required=False, allow_null=True, default=None)
    final = serializers.BooleanField(required=False, default=False)
    assessment = AssessmentOfPactField(required=False, allow_null=True, default=None)
    outcomes = OutcomeInputSerializer(many=True)

    def validate_outcomes(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        goals = [row["goal"] for row in value]
        if len(goals) != len(set(goals)):
            # The service's own message: one outcome for each goal.
            raise serializers.ValidationError(gettext("Give an outcome for each goal of the pact."))
        return value


class TransactionSerializer(serializers.ModelSerializer[LedgerTransaction]):
    """Hours exchanged between the person and an organisation within the pact."""

    direction = serializers.SerializerMethodField()
    organisation = serializers.SerializerMethodField()
    organisation_name = serializers.SerializerMethodField()
    reversed = serializers.SerializerMethodField()

    class Meta:
        model = LedgerTransaction
        fields = [
            "id",
            "date",
            "hours",
            "direction",
            "organisation",
            "organisation_name",
            "commitment",
            "description",
            "reverses",
            "reversed",
            "recorded_at",
        ]
        read_only_fields = fields

    @staticmethod
    def _organisation(txn: LedgerTransaction) -> Organisation | None:
        side = txn.giver if txn.giver.organisation_id else txn.receiver
        return side.organisation

    def get_direction(self, txn: LedgerTransaction) -> str:
        """gives_back: from the person to the organisation; provides: the other way."""
        return (
            CommitmentDirection.GIVES_BACK.value
            if txn.giver.person_id is not None
            else CommitmentDirection.PROVIDES.value
        )

    def get_organisation(self, txn: LedgerTransaction) -> int | None:
        organisation = self._organisation(txn)
        return organisation.pk if organisation else None

    def get_organisation_name(self, txn: LedgerTransaction) -> str:
        organisation = self._organisation(txn)
        return organisation.name if organisation else ""

    def get_reversed(self, txn: LedgerTransaction) -> bool:
        return hasattr(txn, "reversal")


class CommitmentOfPactField(ScopedPrimaryKeyField):
    def get_queryset(self) -> QuerySet[Commitment]:
        view = self.context.get("view")
        if view is None or getattr(view, "swagger_fake_view", False):
            return Commitment.objects.none()
        return Commitment.objects.filter(pact=view.pact())


class HoursSerializer(serializers.Serializer[Any]):
    hours = serializers.DecimalField(max_digits=7, decimal_places=2)
    date = serializers.DateField()
    direction = DirectionField()
    organisation = serializers.PrimaryKeyRelatedField(queryset=Organisation.objects.all())
    commitment = CommitmentOfPactField(required=False, allow_null=True, default=None)
    description = serializers.CharField(
        max_length=300, required=False, default="", allow_blank=True
    )


class ReverseSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(allow_blank=True)


class BalanceSerializer(serializers.Serializer[Any]):
    given = serializers.DecimalField(max_digits=9, decimal_places=2)
    received = serializers.DecimalField(max_digits=9, decimal_places=2)
    net = serializers.DecimalField(max_digits=9, decimal_places=2)


class OutcomesSerializer(serializers.Serializer[Any]):
    goals = serializers.IntegerField()
    achieved = serializers.IntegerField()
    partly = serializers.IntegerField()
    achieved_share = serializers.FloatField(allow_null=True)
    hours_given_back = serializers.DecimalField(max_digits=9, decimal_places=2)
    lsns_start = serializers.IntegerField(allow_null=True)
    lsns_end = serializers.IntegerField(allow_null=True)
    lsns_change = serializers.IntegerField(allow_null=True)


class ReminderSerializer(serializers.ModelSerializer[Reminder]):
    pact = serializers.UUIDField(source="pact.public_id", read_only=True)
    pact_title = serializers.CharField(source="pact.title", read_only=True)

    class Meta:
        model = Reminder
        fields = ["id", "kind", "due_on", "pact", "pact_title", "sent_at", "dismissed_at"]
        read_only_fields = fields
