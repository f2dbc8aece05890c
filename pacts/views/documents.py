"""Pages of a pact's documents: the pact as a PDF for the signed paper copy, the copy in
plain words for the person, and the scan of the signed copy (upload and download).

The PDFs are for those who may export the pact (its case workers and coordinators); a
pact the user may not read is not found (404). Every download is written to the access
log, and file names carry the pact's opaque public id, never the person's name.
"""

from __future__ import annotations

import mimetypes
from pathlib import PurePosixPath
from uuid import UUID

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, URLResolver, path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from beneficiaries.forms import Styled
from legami.audit import audit_read
from legami.policy import Action, allowed
from pacts import documents
from pacts.models import Pact, PactStatus
from pacts.services import pacts as pact_services
from pacts.views.follow import (
    add_service_errors,
    follow_context,
    full_pact_or_404,
    log_read,
    pact_or_404,
)

SCAN_ACCEPT = "application/pdf,image/png,image/jpeg"


def _exported_pact(request: HttpRequest, public_id: UUID, purpose: str) -> Pact:
    pact = pact_or_404(request, public_id)
    if not allowed(request.user, Action.EXPORT, pact):
        raise PermissionDenied
    audit_read(objs=[pact.person, pact], action="export", purpose=purpose)
    return pact


def _attachment(body: bytes, pact: Pact, name: str) -> HttpResponse:
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="legami-{name}-{pact.public_id}.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@never_cache
@login_required
@require_GET
def pact_pdf(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """The pact in Italian, to print and sign."""
    pact = _exported_pact(request, public_id, "pact document (PDF)")
    return _attachment(documents.pact_pdf(pact), pact, "patto")


@never_cache
@login_required
@require_GET
def pact_plain_pdf(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """The pact in plain words, for the person."""
    pact = _exported_pact(request, public_id, "pact in plain words (PDF)")
    return _attachment(documents.pact_plain_pdf(pact), pact, "patto-semplice")


class ScanForm(Styled):
    scan = forms.FileField(
        label=_("Scan of the signed copy"),
        help_text=_("A PDF, PNG or JPEG file of at most 10 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": SCAN_ACCEPT}),
    )


def _documents_page(
    request: HttpRequest, pact: Pact, *, form: ScanForm | None = None, status: int = 200
) -> HttpResponse:
    context = follow_context(request, pact, "documents")
    log_read(pact, "pact documents")
    return render(
        request,
        "pacts/documents_page.html",
        {
            **context,
            "scan_form": form or ScanForm(auto_id="scan-%s"),
            "can_attach": context["can_change"]
            and pact.status not in (PactStatus.DRAFT, PactStatus.PROPOSED),
            "scan_name": PurePosixPath(pact.scan.name).name if pact.scan else "",
        },
        status=status,
    )


@never_cache
@login_required
@require_GET
def documents_page(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """The documents of the pact: the two PDFs, the scan and the form to attach it."""
    return _documents_page(request, full_pact_or_404(request, public_id))


@never_cache
@login_required
@require_GET
def scan(request: HttpRequest, public_id: UUID) -> FileResponse:
    """The scan of the signed copy, from the private storage (never a public address)."""
    pact = full_pact_or_404(request, public_id)
    if not pact.scan:
        raise Http404(gettext("No scan has been attached to this pact."))
    audit_read(objs=[pact.person, pact], action="view", purpose="scan of the signed pact")
    name = PurePosixPath(pact.scan.name).name
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = FileResponse(
        pact.scan.open("rb"),
        as_attachment=True,
        filename=f"legami-patto-firmato-{pact.public_id}{PurePosixPath(name).suffix.lower()}",
        content_type=content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@never_cache
@login_required
@require_POST
def scan_upload(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Attach the scan of the signed paper copy; a refused file comes back with the
    reason under the field (status 400)."""
    pact = full_pact_or_404(request, public_id)
    if not allowed(request.user, Action.CHANGE, pact):
        raise PermissionDenied
    form = ScanForm(request.POST, request.FILES, auto_id="scan-%s")
    if form.is_valid():
        try:
            pact_services.pact_attach_scan(
                pact=pact, actor=request.user, file=form.cleaned_data["scan"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, gettext("The scan of the signed copy has been attached."))
            return redirect("pacts:documents", public_id=pact.public_id)
    return _documents_page(request, pact, form=form, status=400)


urlpatterns: list[URLPattern | URLResolver] = [
    path("<uuid:public_id>/documents/", documents_page, name="documents"),
    path("<uuid:public_id>/pdf/", pact_pdf, name="pact_pdf"),
    path("<uuid:public_id>/plain.pdf", pact_plain_pdf, name="pact_plain_pdf"),
    path("<uuid:public_id>/scan/", scan, name="scan"),
    path("<uuid:public_id>/scan/upload/", scan_upload, name="scan_upload"),
]
