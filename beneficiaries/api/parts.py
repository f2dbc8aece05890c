"""API of the diary, referrals, consents, household and intakes of a person, under
/api/v1/persons/<public_id>/: the same rules as the person page, every change through the
services in ``beneficiaries.services.cases`` and ``.persons``, every answer that shows the
person's data (a list, a new record, an action's result) in the access log (action "api")."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from beneficiaries.api.common import PERSON_PARAMETER, PersonPartMixin, service_errors
from beneficiaries.models import (
    Case,
    Consent,
    DiaryNote,
    HouseholdMember,
    Intake,
    Person,
    Referral,
)
from beneficiaries.services import cases as case_services
from beneficiaries.services import persons as person_services
from legami.api_permissions import PolicyViewSetMixin
from legami.models import Ambito, User
from legami.policy import Action, visible_to
from partners.models import Organisation


class CaseOfPersonField(serializers.PrimaryKeyRelatedField):
    """A case of the person in the path, among those the user may see."""

    def get_queryset(self) -> QuerySet[Case]:
        view = self.context.get("view")
        if view is None or getattr(view, "swagger_fake_view", False):
            return Case.objects.none()
        return visible_to(view.request.user, Case, Action.READ).filter(person=view.person())


class DiaryNoteSerializer(serializers.ModelSerializer[DiaryNote]):
    case = CaseOfPersonField()
    author_name = serializers.CharField(source="author.get_full_name", read_only=True)
    date = serializers.DateField(required=False)

    class Meta:
        model = DiaryNote
        fields = ["id", "case", "date", "category", "text", "confidential", "author_name"]


@extend_schema_view(
    list=extend_schema(parameters=[PERSON_PARAMETER]),
    create=extend_schema(parameters=[PERSON_PARAMETER]),
)
class DiaryNoteViewSet(
    PolicyViewSetMixin,
    PersonPartMixin,
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet[DiaryNote],
):
    """The diary of a person's cases: confidential notes only for the workers assigned to
    the case and its coordinators, as on the person page."""

    policy_resource = "beneficiaries.diarynote"
    serializer_class = DiaryNoteSerializer
    audit_purpose = "diary API"

    def get_queryset(self) -> QuerySet[DiaryNote]:
        if getattr(self, "swagger_fake_view", False):
            return DiaryNote.objects.none()
        return (
            visible_to(self.request.user, DiaryNote, Action.LIST)
            .filter(case__person=self.person())
            .select_related("author")
        )

    def perform_create(self, serializer: Any) -> None:
        with service_errors():
            serializer.instance = case_services.diary_note_add(
                actor=self.request.user, **serializer.validated_data
            )
        self._audit()


class ReferralSerializer(serializers.ModelSerializer[Referral]):
    case = CaseOfPersonField()
    to_organisation_name = serializers.CharField(source="to_organisation.name", read_only=True)
    consent_given_on = serializers.DateField(allow_null=True)

    class Meta:
        model = Referral
        fields = [
            "id",
            "case",
            "to_organisation",
            "to_organisation_name",
            "reason",
            "consent_given_on",
            "status",
            "requested_at",
            "decided_at",
            "decline_reason",
            "receiving_worker",
            "closed_at",
        ]
        read_only_fields = [
            "status",
            "requested_at",
            "decided_at",
            "decline_reason",
            "receiving_worker",
            "closed_at",
        ]
        validators: ClassVar[list[Any]] = []  # the service checks one open referral


class ReferralAcceptSerializer(serializers.Serializer[Any]):
    receiving_worker = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True)
    )


class ReferralDeclineSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField()


@extend_schema_view(
    list=extend_schema(parameters=[PERSON_PARAMETER]),
    create=extend_schema(parameters=[PERSON_PARAMETER]),
    accept=extend_schema(
        parameters=[PERSON_PARAMETER],
        request=ReferralAcceptSerializer,
        responses=ReferralSerializer,
    ),
    decline=extend_schema(
        parameters=[PERSON_PARAMETER],
        request=ReferralDeclineSerializer,
        responses=ReferralSerializer,
    ),
    close=extend_schema(parameters=[PERSON_PARAMETER], request=None, responses=ReferralSerializer),
)
class ReferralViewSet(
    PolicyViewSetMixin,
    PersonPartMixin,
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet[Referral],
):
    """The referrals of a person's cases to other organisations of the network. The
    receiving organisation's coordinator accepts (naming the worker who follows the
    person) or declines; either side closes an open one."""

    policy_resource = "beneficiaries.referral"
    # Closing is for the sending side too (who may change the case): the service decides.
    policy_actions: ClassVar[dict[str, Action]] = {
        "accept": Action.CHANGE,
        "decline": Action.CHANGE,
        "close": Action.READ,
    }
    serializer_class = ReferralSerializer
    audit_purpose = "referrals API"

    def get_queryset(self) -> QuerySet[Referral]:
        if getattr(self, "swagger_fake_view", False):
            return Referral.objects.none()
        referrals = visible_to(self.request.user, Referral, self.policy_action())
        if self.action == "list":
            referrals = referrals.filter(case__person=self.person())
        else:
            # The receiving coordinator decides on referrals of files they may not read.
            referrals = referrals.filter(case__person__public_id=self.kwargs["public_id"])
        return referrals.select_related("to_organisation")

    def perform_create(self, serializer: Any) -> None:
        with service_errors():
            serializer.instance = case_services.referral_request(
                actor=self.request.user, **serializer.validated_data
            )
        self._audit()

    def _decided(self, referral: Referral) -> Response:
        # The receiving coordinator may not read the file: the person is the referral's.
        self._audit(Person.objects.get(cases=referral.case_id))
        return Response(ReferralSerializer(referral, context=self.get_serializer_context()).data)

    @action(detail=True, methods=["post"])
    def accept(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Accept a requested referral and name the worker who follows the person."""
        referral = self.get_object()
        form = ReferralAcceptSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        with service_errors():
            case_services.referral_accept(
                referral=referral, actor=request.user, **form.validated_data
            )
        return self._decided(referral)

    @action(detail=True, methods=["post"])
    def decline(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Decline a requested referral, saying why."""
        referral = self.get_object()
        form = ReferralDeclineSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        with service_errors():
            case_services.referral_decline(
                referral=referral, actor=request.user, **form.validated_data
            )
        return self._decided(referral)

    @action(detail=True, methods=["post"])
    def close(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Close an open referral."""
        referral = self.get_object()
        with service_errors():
            case_services.referral_close(referral=referral, actor=request.user)
        return self._decided(referral)


class ConsentSerializer(serializers.ModelSerializer[Consent]):
    given_on = serializers.DateField(required=False)

    class Meta:
        model = Consent
        fields = ["id", "kind", "given_on", "notice_version", "withdrawn_on"]
        read_only_fields = ["withdrawn_on"]
        validators: ClassVar[list[Any]] = []  # the service checks one consent in force


class ConsentWithdrawSerializer(serializers.Serializer[Any]):
    withdrawn_on = serializers.DateField(required=False)


@extend_schema_view(
    list=extend_schema(parameters=[PERSON_PARAMETER]),
    create=extend_schema(parameters=[PERSON_PARAMETER]),
    withdraw=extend_schema(
        parameters=[PERSON_PARAMETER],
        request=ConsentWithdrawSerializer,
        responses=ConsentSerializer,
    ),
)
class ConsentViewSet(
    PolicyViewSetMixin,
    PersonPartMixin,
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet[Consent],
):
    """The consents of a person (and the privacy notice handed over), withdrawn or not."""

    policy_resource = "beneficiaries.consent"
    policy_actions: ClassVar[dict[str, Action]] = {"withdraw": Action.CHANGE}
    serializer_class = ConsentSerializer
    audit_purpose = "consents API"

    def get_queryset(self) -> QuerySet[Consent]:
        if getattr(self, "swagger_fake_view", False):
            return Consent.objects.none()
        return visible_to(self.request.user, Consent, self.policy_action()).filter(
            person=self.person()
        )

    def perform_create(self, serializer: Any) -> None:
        with service_errors():
            serializer.instance = case_services.consent_give(
                person=self.person(), actor=self.request.user, **serializer.validated_data
            )
        self._audit()

    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Record that the consent was withdrawn (today unless ``withdrawn_on`` is given)."""
        consent = self.get_object()
        form = ConsentWithdrawSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        with service_errors():
            case_services.consent_withdraw(
                consent=consent, actor=request.user, on=form.validated_data.get("withdrawn_on")
            )
        self._audit()
        return Response(ConsentSerializer(consent).data)


@extend_schema_field(OpenApiTypes.UUID)
class VisiblePersonField(serializers.SlugRelatedField):
    """Another person on file, by public id, among those the user may read."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(slug_field="public_id", **kwargs)

    def get_queryset(self) -> QuerySet[Person]:
        view = self.context.get("view")
        if view is None or getattr(view, "swagger_fake_view", False):
            return Person.objects.none()
        return visible_to(view.request.user, Person, Action.READ)


class HouseholdMemberSerializer(serializers.ModelSerializer[HouseholdMember]):
    member = VisiblePersonField(
        required=False,
        allow_null=True,
        help_text="Public id of the member when they are on file too.",
    )

    class Meta:
        model = HouseholdMember
        fields = ["id", "relation", "member", "first_name", "last_name", "birth_year", "cohabiting"]
        extra_kwargs: ClassVar[dict[str, Any]] = {
            "birth_year": {"min_value": 1900, "max_value": 2100}
        }
        validators: ClassVar[list[Any]] = []  # the service checks the name and the member


@extend_schema_view(
    list=extend_schema(parameters=[PERSON_PARAMETER]),
    create=extend_schema(parameters=[PERSON_PARAMETER]),
    destroy=extend_schema(parameters=[PERSON_PARAMETER]),
)
class HouseholdMemberViewSet(
    PolicyViewSetMixin,
    PersonPartMixin,
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet[HouseholdMember],
):
    """The household of a person: other people on file (``member``) or just named.
    Whoever may change the person's file adds and removes members."""

    policy_resource = "beneficiaries.householdmember"
    serializer_class = HouseholdMemberSerializer
    audit_purpose = "household API"

    def get_queryset(self) -> QuerySet[HouseholdMember]:
        if getattr(self, "swagger_fake_view", False):
            return HouseholdMember.objects.none()
        return (
            visible_to(self.request.user, HouseholdMember, self.policy_action())
            .filter(person=self.person())
            .select_related("member")
            .order_by("pk")
        )

    def perform_create(self, serializer: Any) -> None:
        with service_errors():
            serializer.instance = person_services.household_member_add(
                actor=self.request.user, person=self.person(), **serializer.validated_data
            )
        self._audit()

    def perform_destroy(self, instance: HouseholdMember) -> None:
        with service_errors():
            person_services.household_member_remove(
                actor=self.request.user, household_member=instance
            )


class IntakeSerializer(serializers.ModelSerializer[Intake]):
    organisation = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.filter(is_active=True),
        help_text="The service the person came to (one the user works for).",
    )
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    ambito = serializers.PrimaryKeyRelatedField(queryset=Ambito.objects.filter(is_active=True))
    ambito_name = serializers.CharField(source="ambito.name", read_only=True)
    date = serializers.DateField(required=False)

    class Meta:
        model = Intake
        fields = [
            "id",
            "date",
            "channel",
            "organisation",
            "organisation_name",
            "ambito",
            "ambito_name",
            "reported_by",
            "reporting_organisation",
            "first_needs",
        ]


@extend_schema_view(
    list=extend_schema(parameters=[PERSON_PARAMETER]),
    create=extend_schema(parameters=[PERSON_PARAMETER]),
)
class IntakeViewSet(
    PolicyViewSetMixin,
    PersonPartMixin,
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet[Intake],
):
    """The accesses and reports (intakes) of a person, newest first. Recording one is for
    a service the user works for; it opens no case (see the cases endpoint)."""

    policy_resource = "beneficiaries.intake"
    serializer_class = IntakeSerializer
    audit_purpose = "intakes API"

    def get_queryset(self) -> QuerySet[Intake]:
        if getattr(self, "swagger_fake_view", False):
            return Intake.objects.none()
        return (
            visible_to(self.request.user, Intake, self.policy_action())
            .filter(person=self.person())
            .select_related("organisation", "ambito")
        )

    def perform_create(self, serializer: Any) -> None:
        with service_errors():
            serializer.instance = case_services.intake_create(
                person=self.person(), actor=self.request.user, **serializer.validated_data
            )
        self._audit()
