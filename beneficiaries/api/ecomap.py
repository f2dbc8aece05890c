"""API of the ecomap and of the isolation assessments of a person, under /api/v1/.

A person is named by ``public_id`` in the path. ``PolicyPermission`` asks the access
policy first (may this user touch ties/assessments at all?); the person is then looked
up among those the user may read (404 otherwise), and every change goes through the
services in ``beneficiaries.services.ecomap``. Every read is written to the access log
(action "api") for the person whose file it is.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from beneficiaries.api.common import PERSON_PARAMETER, PersonPartMixin, service_errors
from beneficiaries.models import Assessment, Tie
from beneficiaries.models.ecomap import AssessmentKind
from beneficiaries.services import ecomap as services
from legami.api_permissions import PolicyViewSetMixin
from legami.policy import visible_to


class TieSerializer(serializers.ModelSerializer[Tie]):
    class Meta:
        model = Tie
        fields = [
            "id",
            "label",
            "kind",
            "strength",
            "quality",
            "direction",
            "frequency",
            "note",
            "angle",
            "distance",
        ]


class AssessmentSerializer(serializers.ModelSerializer[Assessment]):
    kind = serializers.ChoiceField(choices=AssessmentKind.choices)
    answers = serializers.JSONField(
        help_text="The scores of the items in order: LSNS-6 six of 0–5, UCLA-3 three of 1–3."
    )
    date = serializers.DateField(required=False)

    class Meta:
        model = Assessment
        fields = [
            "id",
            "kind",
            "date",
            "answers",
            "total",
            "family_score",
            "friends_score",
            "at_risk",
            "note",
        ]
        read_only_fields = ["total", "family_score", "friends_score", "at_risk"]


@extend_schema_view(
    list=extend_schema(parameters=[PERSON_PARAMETER]),
    create=extend_schema(parameters=[PERSON_PARAMETER]),
    retrieve=extend_schema(parameters=[PERSON_PARAMETER]),
    partial_update=extend_schema(parameters=[PERSON_PARAMETER]),
    destroy=extend_schema(parameters=[PERSON_PARAMETER]),
)
class TieViewSet(
    PolicyViewSetMixin,
    PersonPartMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet[Tie],
):
    """The ties of a person's ecomap: workers assigned to a case of the person and
    coordinators of its ambito read, add, change (and place: ``angle``, ``distance``) and
    remove them."""

    policy_resource = "beneficiaries.tie"
    serializer_class = TieSerializer
    audit_purpose = "ecomap API"
    http_method_names: ClassVar[list[str]] = ["get", "post", "patch", "delete", "head", "options"]  # type: ignore[misc]

    def get_queryset(self) -> QuerySet[Tie]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no person
            return Tie.objects.none()
        return visible_to(self.request.user, Tie, self.policy_action()).filter(person=self.person())

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().retrieve(request, *args, **kwargs)
        self._audit()
        return response

    def perform_create(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        angle, distance = data.pop("angle", None), data.pop("distance", None)
        with service_errors():
            tie = services.tie_add(person=self.person(), actor=self.request.user, **data)
            if angle is not None and distance is not None:
                tie = services.tie_move(
                    tie=tie, actor=self.request.user, angle=angle, distance=distance
                )
        serializer.instance = tie
        self._audit()

    def perform_update(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        tie = serializer.instance
        angle, distance = data.pop("angle", tie.angle), data.pop("distance", tie.distance)
        with service_errors():
            if data:
                tie = services.tie_update(tie=tie, actor=self.request.user, **data)
            if (angle, distance) != (tie.angle, tie.distance) and None not in (angle, distance):
                tie = services.tie_move(
                    tie=tie, actor=self.request.user, angle=angle, distance=distance
                )
        serializer.instance = tie
        self._audit()

    def perform_destroy(self, instance: Tie) -> None:
        services.tie_remove(tie=instance, actor=self.request.user)


@extend_schema_view(
    list=extend_schema(parameters=[PERSON_PARAMETER]),
    create=extend_schema(parameters=[PERSON_PARAMETER]),
)
class AssessmentViewSet(
    PolicyViewSetMixin,
    PersonPartMixin,
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet[Assessment],
):
    """The LSNS-6 and UCLA-3 assessments of a person, newest first; recording one scores
    it (total, subscales, risk)."""

    policy_resource = "beneficiaries.assessment"
    serializer_class = AssessmentSerializer
    audit_purpose = "assessments API"

    def get_queryset(self) -> QuerySet[Assessment]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no person
            return Assessment.objects.none()
        return visible_to(self.request.user, Assessment, self.policy_action()).filter(
            person=self.person()
        )

    def perform_create(self, serializer: Any) -> None:
        with service_errors():
            serializer.instance = services.assessment_record(
                person=self.person(), actor=self.request.user, **serializer.validated_data
            )
        self._audit()
