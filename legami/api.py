"""API of the core: who am I, and the territory."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from legami.models import Ambito, Comune, User
from legami.roles import active_roles
from legami.selectors import ambito_list, comune_list


class AmbitoSerializer(serializers.ModelSerializer[Ambito]):
    comuni_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Ambito
        fields = ["code", "name", "managing_body", "comuni_count"]


class ComuneSerializer(serializers.ModelSerializer[Comune]):
    ambito: serializers.SlugRelatedField[Ambito] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )

    class Meta:
        model = Comune
        fields = ["belfiore_code", "istat_code", "name", "province", "ambito"]


class MeSerializer(serializers.ModelSerializer[User]):
    roles = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "email", "first_name", "last_name", "language", "roles"]

    def get_roles(self, obj: User) -> list[str]:
        return sorted(active_roles(obj))


class MeView(APIView):
    """The authenticated user, with the roles they hold today."""

    @extend_schema(responses=MeSerializer)
    def get(self, request: Request) -> Response:
        assert isinstance(request.user, User)  # noqa: S101 - IsAuthenticated guarantees it
        return Response(MeSerializer(request.user).data)


class AmbitoViewSet(viewsets.ReadOnlyModelViewSet[Ambito]):
    """The social-service ambiti of the network."""

    serializer_class = AmbitoSerializer
    lookup_field = "code"
    pagination_class = None

    def get_queryset(self) -> Any:
        return ambito_list()


@extend_schema(
    parameters=[
        OpenApiParameter("ambito", str, description="Ambito code"),
        OpenApiParameter("province", str, description="Province (two letters)"),
        OpenApiParameter("search", str, description="Part of the name"),
    ]
)
class ComuneViewSet(viewsets.ReadOnlyModelViewSet[Comune]):
    """The comuni and the ambito each belongs to."""

    serializer_class = ComuneSerializer
    lookup_field = "belfiore_code"

    def get_queryset(self) -> Any:
        params = self.request.query_params
        return comune_list(
            ambito=params.get("ambito"),
            province=params.get("province"),
            search=params.get("search"),
        )
