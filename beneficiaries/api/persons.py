"""API of the people on file and their cases, under /api/v1/persons/: the same rules as the
pages (the policy first, then the person among those the user may read, 404 otherwise), every
change through the services, every read of personal data in the access log (action "api")."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from beneficiaries import selectors
from beneficiaries.api.common import PERSON_PARAMETER, PersonPartMixin, service_errors
from beneficiaries.models import (
    Case,
    CaseAssignment,
    CaseStage,
    ClosureReason,
    NeedTag,
    Person,
    VulnerabilityArea,
)
from beneficiaries.services import cases as case_services
from beneficiaries.services import persons as person_services
from legami.api_permissions import PolicyViewSetMixin
from legami.audit import audit_read
from legami.models import Ambito, Comune, User
from legami.policy import Action, visible_to
from partners.models import Organisation


class CaseOutlineSerializer(serializers.ModelSerializer[Case]):
    organisation = serializers.CharField(source="organisation.name", read_only=True)
    ambito = serializers.CharField(source="ambito.name", read_only=True)

    class Meta:
        model = Case
        fields = ["id", "organisation", "ambito", "stage", "opened_on"]


class PersonListSerializer(serializers.ModelSerializer[Person]):
    """A row of the case list: no contact data, the open cases the user may see."""

    at_risk = serializers.BooleanField(read_only=True, allow_null=True)
    areas = serializers.SerializerMethodField()
    open_cases = CaseOutlineSerializer(many=True, read_only=True)

    class Meta:
        model = Person
        fields = [
            "public_id",
            "first_name",
            "last_name",
            "birth_date",
            "residence_comune",
            "areas",
            "at_risk",
            "open_cases",
        ]

    def get_areas(self, person: Person) -> list[str]:
        return [a.area for a in person.areas.all()]


class PersonSerializer(serializers.ModelSerializer[Person]):
    """The anagrafica of a person; the codice fiscale completes date, sex and place of
    birth (see ``codice_fiscale_check``)."""

    areas = serializers.ListField(
        child=serializers.ChoiceField(choices=VulnerabilityArea.choices),
        required=False,
        write_only=True,  # read back in ``to_representation``
    )
    need_tags = serializers.PrimaryKeyRelatedField(
        many=True, queryset=NeedTag.objects.all(), required=False
    )
    at_risk = serializers.BooleanField(read_only=True, allow_null=True)

    class Meta:
        model = Person
        fields = [
            "public_id",
            *person_services.PERSON_FIELDS,
            "areas",
            "need_tags",
            "at_risk",
            "restricted",
        ]
        read_only_fields = ["public_id", "restricted"]
        validators: ClassVar[list[Any]] = []  # the service checks the codice fiscale

    def to_representation(self, instance: Person) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["areas"] = [a.area for a in instance.areas.all()]
        data["at_risk"] = getattr(instance, "at_risk", None)
        return data


class PersonCreateSerializer(PersonSerializer):
    organisation = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.filter(is_active=True),
        help_text="The service taking charge, where the case opens.",
    )
    ambito = serializers.PrimaryKeyRelatedField(queryset=Ambito.objects.filter(is_active=True))
    force = serializers.BooleanField(
        default=False,
        write_only=True,
        help_text="The worker confirmed that the possible duplicates are other people.",
    )

    class Meta(PersonSerializer.Meta):
        fields = [*PersonSerializer.Meta.fields, "organisation", "ambito", "force"]
        extra_kwargs: ClassVar[dict[str, Any]] = {
            "organisation": {"write_only": True},
            "ambito": {"write_only": True},
        }

    def to_representation(self, instance: Person) -> dict[str, Any]:
        return PersonSerializer(instance, context=self.context).data


class PersonSearchSerializer(serializers.Serializer[Any]):
    q = serializers.CharField(max_length=100, help_text="Name, surname or codice fiscale.")


class RestrictionSerializer(serializers.Serializer[Any]):
    """The restriction of processing (GDPR art. 18): on or off, and why."""

    restricted = serializers.BooleanField()
    reason = serializers.CharField(
        max_length=300, required=False, default="", allow_blank=True, write_only=True
    )


class PersonFilterSerializer(serializers.Serializer[Any]):
    """The filters of the list (none identifies a person, so they may be in the address)."""

    ambito = serializers.PrimaryKeyRelatedField(queryset=Ambito.objects.all(), required=False)
    comune = serializers.PrimaryKeyRelatedField(queryset=Comune.objects.all(), required=False)
    area = serializers.ChoiceField(choices=VulnerabilityArea.choices, required=False)
    stage = serializers.ChoiceField(choices=CaseStage.choices, required=False)
    worker = serializers.IntegerField(required=False)
    at_risk = serializers.BooleanField(required=False, default=False)


class DuplicateServiceSerializer(serializers.Serializer[Any]):
    organisation = serializers.CharField()
    ambito = serializers.CharField()


class DuplicateOutlineSerializer(serializers.Serializer[Any]):
    public_id = serializers.UUIDField(allow_null=True)
    initials = serializers.CharField()
    birth_year = serializers.IntegerField(allow_null=True)
    services = DuplicateServiceSerializer(many=True)


class PossibleDuplicatesSerializer(serializers.Serializer[Any]):
    """The 409 of a registration that looks like people already on file."""

    detail = serializers.CharField()
    duplicates = DuplicateOutlineSerializer(many=True)


def _duplicate_outlines(user: Any, duplicates: list[Person]) -> list[dict[str, Any]]:
    """What the user learns of each possible duplicate, as on the page: the public id if
    they may read the file, else only initials, year of birth and the services holding it."""
    services_of = selectors.persons_holding_services(duplicates)
    return [
        {
            "public_id": (
                str(person.public_id)
                if selectors.person_is_visible(user=user, person=person)
                else None
            ),
            "initials": f"{person.first_name[:1]}. {person.last_name[:1]}.".upper(),
            "birth_year": person.birth_date.year if person.birth_date else None,
            "services": [
                {"organisation": c.organisation.name, "ambito": c.ambito.name}
                for c in services_of[person.pk]
            ],
        }
        for person in duplicates
    ]


@extend_schema_view(
    list=extend_schema(parameters=[PersonFilterSerializer]),
    # A page of rows, as the list answers (``_listed``).
    search=extend_schema(request=PersonSearchSerializer, responses=PersonListSerializer(many=True)),
    restriction=extend_schema(request=RestrictionSerializer, responses=RestrictionSerializer),
    create=extend_schema(
        request=PersonCreateSerializer,
        responses={201: PersonSerializer, 409: PossibleDuplicatesSerializer},
    ),
)
class PersonViewSet(
    PolicyViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet[Person],
):
    """The files of the people the user may see (the same as the case list page). The
    search by name or codice fiscale is a POST, so that no name is ever in an address;
    a registration that looks like a person already on file answers 409 with an outline
    of them, until it is sent again with ``force``. Whoever may change a file turns the
    restriction of its processing on and off (``restriction``)."""

    policy_resource = "beneficiaries.person"
    policy_actions: ClassVar[dict[str, Action]] = {
        "search": Action.LIST,
        "restriction": Action.CHANGE,
    }
    lookup_field = "public_id"
    lookup_value_regex = "[0-9a-fA-F-]{36}"
    http_method_names: ClassVar[list[str]] = ["get", "post", "patch", "head", "options"]  # type: ignore[misc]

    def get_serializer_class(self) -> type[serializers.BaseSerializer[Any]]:
        if self.action in ("list", "search"):
            return PersonListSerializer
        if self.action == "create":
            return PersonCreateSerializer
        if self.action == "restriction":
            return RestrictionSerializer
        return PersonSerializer

    def get_queryset(self) -> QuerySet[Person]:
        if getattr(self, "swagger_fake_view", False):
            return Person.objects.none()
        if self.action == "list":
            filters = PersonFilterSerializer(data=self.request.query_params)
            filters.is_valid(raise_exception=True)
            return selectors.person_list(user=self.request.user, filters=filters.validated_data)
        persons = visible_to(self.request.user, Person, Action.READ).filter(
            anonymised_at__isnull=True
        )
        if self.action == "restriction":
            return persons
        return persons.annotate(at_risk=selectors.latest_lsns6_at_risk()).prefetch_related(
            "areas", "need_tags"
        )

    def _listed(self, queryset: QuerySet[Person], purpose: str) -> Response:
        page = self.paginate_queryset(queryset) or []
        audit_read(objs=page, action="api", purpose=purpose)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._listed(self.get_queryset(), "case list API")

    @action(detail=False, methods=["post"])
    def search(self, request: Request) -> Response:
        """The files matching a name, surname or codice fiscale (any order)."""
        form = PersonSearchSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        found = selectors.person_list(user=request.user, filters={"search": form.data["q"]})
        return self._listed(found, "case list search API")

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        person = self.get_object()
        audit_read(objs=[person], action="api", purpose="person API")
        return Response(self.get_serializer(person).data)

    @action(detail=True, methods=["post"])
    def restriction(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Turn the restriction of processing (GDPR art. 18) of the file on or off."""
        person = self.get_object()
        form = RestrictionSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        change = (
            person_services.person_restrict
            if form.validated_data["restricted"]
            else person_services.person_unrestrict
        )
        with service_errors():
            person = change(actor=request.user, person=person, reason=form.validated_data["reason"])
        audit_read(objs=[person], action="api", purpose="person API")
        return Response(RestrictionSerializer(person).data)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        areas, need_tags = data.pop("areas", []), data.pop("need_tags", [])
        organisation, ambito = data.pop("organisation"), data.pop("ambito")
        force = data.pop("force")
        with service_errors():
            checked = person_services.codice_fiscale_check(data)
            found = [] if force else person_services.person_possible_duplicates(data=checked)
            if found:
                return Response(
                    {
                        "detail": gettext("People who may be the same person are already on file."),
                        "duplicates": _duplicate_outlines(request.user, found),
                    },
                    status=status.HTTP_409_CONFLICT,
                )
            person = person_services.person_create(
                actor=request.user,
                data=data,
                areas=areas,
                need_tags=need_tags,
                force=force,
                organisation=organisation,
                ambito=ambito,
            )
        audit_read(objs=[person], action="api", purpose="person API")
        return Response(PersonSerializer(person).data, status=status.HTTP_201_CREATED)

    def perform_update(self, serializer: Any) -> None:
        person: Person = serializer.instance
        data = dict(serializer.validated_data)
        areas, need_tags = data.pop("areas", None), data.pop("need_tags", None)
        current = {name: getattr(person, name) for name in person_services.PERSON_FIELDS}
        with service_errors():
            serializer.instance = person_services.person_update(
                actor=self.request.user,
                person=person,
                data=current | data,
                areas=areas,
                need_tags=need_tags,
            )
        audit_read(objs=[serializer.instance], action="api", purpose="person API")


class CaseAssignmentSerializer(serializers.ModelSerializer[CaseAssignment]):
    """An assignment of a worker to a case (also the input of ``assign``: worker, kind)."""

    worker = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))
    worker_name = serializers.CharField(source="worker.get_full_name", read_only=True)
    kind = serializers.ChoiceField(
        choices=CaseAssignment.Kind.choices, default=CaseAssignment.Kind.LEAD
    )

    class Meta:
        model = CaseAssignment
        fields = ["id", "worker", "worker_name", "kind", "start", "end"]
        read_only_fields = ["start", "end"]
        validators: ClassVar[list[Any]] = []  # the service checks one current assignment


class CaseSerializer(serializers.ModelSerializer[Case]):
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    ambito_name = serializers.CharField(source="ambito.name", read_only=True)
    assignments = CaseAssignmentSerializer(many=True, read_only=True)
    # Declared: the read-only field DRF builds from the model has no allow_blank, so the
    # schema would leave out the "" of a case that is not closed.
    closure_reason = serializers.ChoiceField(
        choices=ClosureReason.choices, allow_blank=True, read_only=True
    )

    class Meta:
        model = Case
        fields = [
            "id",
            "organisation",
            "organisation_name",
            "ambito",
            "ambito_name",
            "opened_on",
            "stage",
            "closed_on",
            "closure_reason",
            "assignments",
        ]
        read_only_fields = ["opened_on", "stage", "closed_on", "closure_reason"]
        validators: ClassVar[list[Any]] = []  # the service checks one open case per service


class CaseAdvanceSerializer(serializers.Serializer[Any]):
    stage = serializers.ChoiceField(choices=CaseStage.choices, help_text="The stage to move to.")


class CaseCloseSerializer(serializers.Serializer[Any]):
    closure_reason = serializers.ChoiceField(choices=ClosureReason.choices)
    note = serializers.CharField(required=False, default="", allow_blank=True)


def _with_assignments(cases: Any) -> QuerySet[Case]:
    return cases.select_related("organisation", "ambito").prefetch_related(
        Prefetch("assignments", queryset=CaseAssignment.objects.select_related("worker"))
    )


CASE_ACTION_SCHEMA = {
    "advance": extend_schema(
        parameters=[PERSON_PARAMETER], request=CaseAdvanceSerializer, responses=CaseSerializer
    ),
    "close": extend_schema(
        parameters=[PERSON_PARAMETER], request=CaseCloseSerializer, responses=CaseSerializer
    ),
    "reopen": extend_schema(parameters=[PERSON_PARAMETER], request=None, responses=CaseSerializer),
    "assign": extend_schema(
        parameters=[PERSON_PARAMETER],
        request=CaseAssignmentSerializer,
        responses=CaseAssignmentSerializer,
    ),
}


@extend_schema_view(
    list=extend_schema(parameters=[PERSON_PARAMETER]),
    create=extend_schema(parameters=[PERSON_PARAMETER]),
    retrieve=extend_schema(parameters=[PERSON_PARAMETER]),
    **CASE_ACTION_SCHEMA,
)
class CaseViewSet(
    PolicyViewSetMixin,
    PersonPartMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet[Case],
):
    """The cases of a person the user may see, with their assignment history. Opening
    one takes charge at a service the user works for; the stages move through
    ``advance``, ``close`` and ``reopen`` (the same state machine as the pages)."""

    policy_resource = "beneficiaries.case"
    policy_actions: ClassVar[dict[str, Action]] = dict.fromkeys(
        ("advance", "close", "reopen", "assign"), Action.CHANGE
    )
    serializer_class = CaseSerializer
    audit_purpose = "cases API"

    def get_queryset(self) -> QuerySet[Case]:
        if getattr(self, "swagger_fake_view", False):
            return Case.objects.none()
        return _with_assignments(
            visible_to(self.request.user, Case, self.policy_action()).filter(person=self.person())
        )

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().retrieve(request, *args, **kwargs)
        self._audit()
        return response

    def perform_create(self, serializer: Any) -> None:
        with service_errors():
            serializer.instance = case_services.case_open(
                person=self.person(), actor=self.request.user, **serializer.validated_data
            )
        self._audit()

    def _changed(self, case: Case) -> Response:
        # Read back unfiltered: closing ends the worker's own assignment.
        self._audit()
        return Response(self.get_serializer(_with_assignments(Case.objects).get(pk=case.pk)).data)

    @action(detail=True, methods=["post"])
    def advance(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Move the case to the next stage."""
        case = self.get_object()
        form = CaseAdvanceSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        with service_errors():
            case_services.case_advance(
                case=case, actor=request.user, to_stage=form.validated_data["stage"]
            )
        return self._changed(case)

    @action(detail=True, methods=["post"])
    def close(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Close the case with a reason; its current assignments end."""
        case = self.get_object()
        form = CaseCloseSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        with service_errors():
            case_services.case_close(
                case=case,
                actor=request.user,
                reason=form.validated_data["closure_reason"],
                note=form.validated_data["note"],
            )
        return self._changed(case)

    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Reopen a closed case, back to assessment."""
        case = self.get_object()
        with service_errors():
            case_services.case_reopen(case=case, actor=request.user)
        return self._changed(case)

    @action(detail=True, methods=["post"])
    def assign(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Assign a worker of the case's service (a new case manager ends the previous)."""
        case = self.get_object()
        form = CaseAssignmentSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        with service_errors():
            assignment = case_services.case_assign(
                case=case, actor=request.user, **form.validated_data
            )
        self._audit()
        return Response(CaseAssignmentSerializer(assignment).data, status=status.HTTP_201_CREATED)
