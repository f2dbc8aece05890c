"""API of the partners app: organisations, memberships and invitations under /api/v1/.

Viewsets read through the selectors (which start from ``visible_to``), write through the
services, and let ``PolicyPermission`` ask the access policy before anything else.
Reading memberships and invitations is reading personal data (names and e-mail
addresses): every row returned is written to the access log.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.fields import get_error_detail
from rest_framework.request import Request
from rest_framework.response import Response

from legami.api_permissions import PolicyViewSetMixin
from legami.audit import audit_read
from legami.models import Ambito, User
from legami.policy import Action
from partners import selectors, services
from partners.models import Invitation, Membership, Organisation
from partners.validators import normalize_tax_code, validate_tax_code


@contextmanager
def service_errors() -> Iterator[None]:
    """Turn a service's ValidationError into the API's 400 with the same messages."""
    try:
        yield
    except DjangoValidationError as exc:
        raise serializers.ValidationError(detail=get_error_detail(exc)) from exc


# --- Serializers -----------------------------------------------------------------------------


class EmailUserField(serializers.SlugRelatedField):
    """A user named by e-mail address (matched in lower case, as stored)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(slug_field="email", **kwargs)

    def to_internal_value(self, data: Any) -> Any:
        return super().to_internal_value(str(data).strip().lower())


class TaxCodeField(serializers.CharField):
    """A codice fiscale / partita IVA, normalised (capitals, no spaces, no "IT") before
    it is validated."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            required=False,
            allow_blank=True,
            validators=[validate_tax_code],
            label=Organisation._meta.get_field("tax_code").verbose_name,
            **kwargs,
        )

    def to_internal_value(self, data: Any) -> str:
        return normalize_tax_code(super().to_internal_value(data))


class OrganisationSerializer(serializers.ModelSerializer[Organisation]):
    tax_code = TaxCodeField()
    ambiti = serializers.SlugRelatedField(
        slug_field="code",
        many=True,
        required=False,
        queryset=Ambito.objects.filter(is_active=True),
    )

    class Meta:
        model = Organisation
        fields = [
            "slug",
            "name",
            "kind",
            "tax_code",
            "address",
            "email",
            "phone",
            "website",
            "ambiti",
            "is_funder",
            "member_since",
            "is_active",
        ]
        read_only_fields = ["is_active"]
        extra_kwargs: ClassVar[dict[str, Any]] = {"slug": {"required": False}}


class MembershipSerializer(serializers.ModelSerializer[Membership]):
    user = EmailUserField(queryset=User.objects.all())
    user_name = serializers.CharField(source="user.get_full_name", read_only=True)
    organisation = serializers.SlugRelatedField(
        slug_field="slug", queryset=Organisation.objects.all()
    )
    is_current = serializers.SerializerMethodField()

    class Meta:
        model = Membership
        fields = [
            "id",
            "user",
            "user_name",
            "organisation",
            "role",
            "start_date",
            "end_date",
            "is_referent",
            "is_current",
        ]
        extra_kwargs: ClassVar[dict[str, Any]] = {"start_date": {"required": False}}
        validators: ClassVar[list[Any]] = []  # the service checks overlaps and the rest

    def get_is_current(self, obj: Membership) -> bool:
        return obj.is_current()


class MembershipEndSerializer(serializers.Serializer[Any]):
    end_date = serializers.DateField(required=False, help_text="Last day; today if omitted.")


class InvitationSerializer(serializers.ModelSerializer[Invitation]):
    organisation = serializers.SlugRelatedField(
        slug_field="slug", queryset=Organisation.objects.all()
    )
    status = serializers.CharField(read_only=True)

    class Meta:
        model = Invitation
        fields = [
            "id",
            "organisation",
            "email",
            "role",
            "is_referent",
            "status",
            "invited_by",
            "created_at",
            "expires_at",
            "sent_at",
            "accepted_at",
            "revoked_at",
        ]
        read_only_fields = [
            "invited_by",
            "created_at",
            "expires_at",
            "sent_at",
            "accepted_at",
            "revoked_at",
        ]
        validators: ClassVar[list[Any]] = []  # the service replaces expired invitations


# --- Viewsets --------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("kind", str, description="Kind of organisation"),
            OpenApiParameter("ambito", str, description="Code of an ambito it serves"),
        ]
    )
)
class OrganisationViewSet(
    PolicyViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet[Organisation],
):
    """The organisations of the network: everybody logged in reads the active ones;
    network administrators also the others, and add and change them."""

    policy_resource = "partners.organisation"
    policy_actions: ClassVar[dict[str, Action]] = {"deactivate": Action.CHANGE}
    serializer_class = OrganisationSerializer
    lookup_field = "slug"
    http_method_names: ClassVar[list[str]] = ["get", "post", "patch", "head", "options"]  # type: ignore[misc]

    def get_queryset(self) -> QuerySet[Organisation]:
        params = self.request.query_params
        ambito = None
        if params.get("ambito"):
            ambito = Ambito.objects.filter(code=params["ambito"]).first()
            if ambito is None:
                return Organisation.objects.none()
        return selectors.organisation_list(
            user=self.request.user,
            kind=params.get("kind") or None,
            ambito=ambito,
            active_only=False,
            action=self.policy_action(),
        )

    def perform_create(self, serializer: Any) -> None:
        with service_errors():
            serializer.instance = services.organisation_create(
                actor=self.request.user,  # type: ignore[arg-type]
                **serializer.validated_data,
            )

    def perform_update(self, serializer: Any) -> None:
        with service_errors():
            serializer.instance = services.organisation_update(
                organisation=serializer.instance,
                actor=self.request.user,  # type: ignore[arg-type]
                data=serializer.validated_data,
            )

    @extend_schema(request=None, responses=OrganisationSerializer)
    @action(detail=True, methods=["post"])
    def deactivate(self, request: Request, slug: str | None = None) -> Response:
        """Take the organisation out of the network; its memberships stop counting."""
        organisation = self.get_object()
        with service_errors():
            organisation = services.organisation_deactivate(
                organisation=organisation,
                actor=request.user,  # type: ignore[arg-type]
            )
        return Response(self.get_serializer(organisation).data)


class PersonalDataReadMixin:
    """Write every row an endpoint returns to the access log (action "api")."""

    audit_purpose: ClassVar[str]

    def audit_subject(self, obj: Any) -> Any:
        return None

    def _audit(self, objs: list[Any]) -> None:
        audit_read(
            objs=objs, action="api", purpose=self.audit_purpose, subject_user=self.audit_subject
        )

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        view: Any = self
        queryset = view.filter_queryset(view.get_queryset())
        page = view.paginate_queryset(queryset)
        rows = list(page if page is not None else queryset)
        self._audit(rows)
        data = view.get_serializer(rows, many=True).data
        return view.get_paginated_response(data) if page is not None else Response(data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        view: Any = self
        obj = view.get_object()
        self._audit([obj])
        return Response(view.get_serializer(obj).data)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("organisation", str, description="Slug of an organisation"),
            OpenApiParameter("current", bool, description="Only memberships holding today"),
        ]
    )
)
class MembershipViewSet(
    PolicyViewSetMixin,
    PersonalDataReadMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet[Membership],
):
    """Who acts for which organisation in which role: each person sees their own;
    referents those of their organisations; ambito administrators those of the
    organisations of their ambiti; network administrators all."""

    policy_resource = "partners.membership"
    policy_actions: ClassVar[dict[str, Action]] = {"end": Action.CHANGE}
    serializer_class = MembershipSerializer
    audit_purpose = "memberships API"

    def audit_subject(self, obj: Any) -> Any:
        return obj.user

    def get_queryset(self) -> QuerySet[Membership]:
        params = self.request.query_params
        qs = selectors.membership_list(
            user=self.request.user,
            current_only=params.get("current", "").lower() in {"1", "true", "yes"},
            action=self.policy_action(),
        )
        if params.get("organisation"):
            qs = qs.filter(organisation__slug=params["organisation"])
        return qs

    def perform_create(self, serializer: Any) -> None:
        with service_errors():
            serializer.instance = services.membership_create(
                actor=self.request.user,  # type: ignore[arg-type]
                **serializer.validated_data,
            )

    @extend_schema(request=MembershipEndSerializer, responses=MembershipSerializer)
    @action(detail=True, methods=["post"])
    def end(self, request: Request, pk: str | None = None) -> Response:
        """End the membership on ``end_date`` (its last day; today if omitted)."""
        membership = self.get_object()
        payload = MembershipEndSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with service_errors():
            membership = services.membership_end(
                membership=membership,
                end_date=payload.validated_data.get("end_date") or timezone.localdate(),
                actor=request.user,  # type: ignore[arg-type]
            )
        return Response(MembershipSerializer(membership).data)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("organisation", str, description="Slug of an organisation"),
            OpenApiParameter(
                "open", bool, description="Only invitations neither accepted nor revoked"
            ),
        ]
    )
)
class InvitationViewSet(
    PolicyViewSetMixin,
    PersonalDataReadMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet[Invitation],
):
    """Invitations to act for an organisation: network administrators, and referents
    for their organisations. The link's token is never shown: it goes only by e-mail."""

    policy_resource = "partners.invitation"
    policy_actions: ClassVar[dict[str, Action]] = {"revoke": Action.DELETE}
    serializer_class = InvitationSerializer
    audit_purpose = "invitations API"

    def get_queryset(self) -> QuerySet[Invitation]:
        params = self.request.query_params
        qs = selectors.invitation_list(
            user=self.request.user,
            open_only=params.get("open", "").lower() in {"1", "true", "yes"},
            action=self.policy_action(),
        )
        if params.get("organisation"):
            qs = qs.filter(organisation__slug=params["organisation"])
        return qs

    def perform_create(self, serializer: Any) -> None:
        with service_errors():
            serializer.instance = services.invitation_create(
                invited_by=self.request.user,  # type: ignore[arg-type]
                **serializer.validated_data,
            )

    @extend_schema(request=None, responses=InvitationSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str | None = None) -> Response:
        """Withdraw the invitation: its link stops working."""
        invitation = self.get_object()
        with service_errors():
            invitation = services.invitation_revoke(
                invitation=invitation,
                actor=request.user,  # type: ignore[arg-type]
            )
        return Response(self.get_serializer(invitation).data)
