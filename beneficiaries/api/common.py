"""What the API modules of the case file share: the person parameter of the paths, the
lookup of the person among those the user may read, service errors as 400, and the read
of the person that every answer carrying their data writes to the access log (a list, a
record, and what a change or an action answers with alike)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.fields import get_error_detail
from rest_framework.request import Request
from rest_framework.response import Response

from beneficiaries.models import Person
from legami.audit import audit_read
from legami.policy import Action, visible_to

PERSON_PARAMETER = OpenApiParameter(
    "public_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="Public id of the person"
)


@contextmanager
def service_errors() -> Iterator[None]:
    """Turn a service's ValidationError into the API's 400 with the same messages."""
    try:
        yield
    except DjangoValidationError as exc:
        raise serializers.ValidationError(detail=get_error_detail(exc)) from exc


class PersonPartMixin:
    """Viewsets of a part of a person's file, reached under the person's public id."""

    audit_purpose: ClassVar[str]
    _person: Person | None = None

    def person(self) -> Person:
        view: Any = self
        if self._person is None:
            self._person = get_object_or_404(
                visible_to(view.request.user, Person, Action.READ),
                public_id=view.kwargs["public_id"],
            )
        return self._person

    def _audit(self, person: Person | None = None) -> None:
        """Log the read of ``person`` (by default the one in the path) that the answer
        being built shows."""
        audit_read(objs=[person or self.person()], action="api", purpose=self.audit_purpose)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response: Response = super().list(request, *args, **kwargs)  # type: ignore[misc]
        self._audit()
        return response
