"""Pages: the export of everything held about a person (GDPR art. 15 and 20), as JSON and
as a PDF, for coordinators of the person's ambito. File names carry the opaque public id,
never the person's name."""

from __future__ import annotations

import json
import uuid

from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, URLResolver, path
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from beneficiaries.models import Person
from beneficiaries.services.gdpr import person_export_data, person_export_pdf
from legami.audit import audit_read
from legami.policy import Action, require

PURPOSE = "GDPR export"


def _exported_person(request: HttpRequest, public_id: uuid.UUID) -> Person:
    person = get_object_or_404(Person, public_id=public_id)
    require(request.user, Action.EXPORT, person)
    audit_read(objs=[person], action="export", purpose=PURPOSE)
    return person


def _attachment(response: HttpResponse, person: Person, extension: str) -> HttpResponse:
    response["Content-Disposition"] = (
        f'attachment; filename="legami-persona-{person.public_id}.{extension}"'
    )
    return response


@login_required
@never_cache
@require_GET
def person_export_json(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    person = _exported_person(request, public_id)
    data = person_export_data(person=person, actor=request.user)
    body = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    return _attachment(response, person, "json")


@login_required
@never_cache
@require_GET
def person_export_pdf_view(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    person = _exported_person(request, public_id)
    data = person_export_data(person=person, actor=request.user)
    response = HttpResponse(person_export_pdf(data=data), content_type="application/pdf")
    return _attachment(response, person, "pdf")


urlpatterns: list[URLPattern | URLResolver] = [
    path("p/<uuid:public_id>/export.json", person_export_json, name="person_export_json"),
    path("p/<uuid:public_id>/export.pdf", person_export_pdf_view, name="person_export_pdf"),
]
