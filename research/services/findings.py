"""The findings library: adding, changing and removing items (notes, reports,
materials, a pathway's documents and outputs, a workshop's materials).

Files go to the private storage under the item's opaque id (an uploaded file's own name
is kept only as text, for the download); the type is read from the file's first bytes,
not trusted from its name. The text of a PDF is extracted once, here, so that the
library's full-text search finds words inside the documents."""

from __future__ import annotations

import io
import logging
import os
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from legami.audit import audit_change, diff, snapshot
from legami.models import User
from legami.policy import Action, require
from research.models import Finding, FindingKind, Pathway, Theme, Workshop

logger = logging.getLogger(__name__)

FILE_MAX_BYTES = 20 * 1024 * 1024
# First bytes → (extension, what it is). Office files (docx, xlsx, pptx, odt, ods, odp)
# are zip archives: their extension is taken from the name when it is one of those.
FILE_TYPES: dict[bytes, str] = {
    b"%PDF-": ".pdf",
    b"\x89PNG\r\n\x1a\n": ".png",
    b"\xff\xd8\xff": ".jpg",
    b"PK\x03\x04": ".zip",
}
OFFICE_EXTENSIONS = (".docx", ".xlsx", ".pptx", ".odt", ".ods", ".odp")
# The extracted text kept for search (a long report is searched by its first part).
EXTRACT_MAX_CHARS = 200_000
FIELDS = ("kind", "title", "summary", "body", "pathway_id", "workshop_id", "link", "file_name")
THEME_MAX = 80


def themes_from_text(text: str) -> list[Theme]:
    """Themes named in ``text``, separated by commas (made if new; matched without
    regard to case, so "Solitudine" and "solitudine" are one theme)."""
    themes: list[Theme] = []
    seen: set[str] = set()
    for raw in (text or "").split(","):
        name = re.sub(r"\s+", " ", raw).strip()[:THEME_MAX]
        if not name or name.lower() in seen:
            continue
        seen.add(name.lower())
        theme = Theme.objects.filter(name__iexact=name).first()
        if theme is None:
            try:
                with transaction.atomic():
                    theme = Theme.objects.create(name=name)
            except IntegrityError:  # made meanwhile by someone else
                theme = Theme.objects.get(name__iexact=name)
        themes.append(theme)
    return themes


def _file_extension(file: UploadedFile) -> str:
    if file.size is None or file.size > FILE_MAX_BYTES:
        raise ValidationError(
            {"file": ValidationError(_("The file is larger than 20 MB."), code="too_big")}
        )
    head = file.read(8)
    file.seek(0)
    for magic, extension in FILE_TYPES.items():
        if head.startswith(magic):
            if extension != ".zip":
                return extension
            named = os.path.splitext(file.name or "")[1].lower()
            if named in OFFICE_EXTENSIONS:
                return named
    message = _(
        "Upload a PDF, an image (PNG, JPEG) or an office document "
        "(Word, Excel, PowerPoint, LibreOffice)."
    )
    raise ValidationError({"file": ValidationError(message, code="file_type")})


def pdf_text(file: Any) -> str:
    """The text of a PDF, for search ("" when it has none, e.g. a scan, or cannot be
    read: the item is kept, only its file's words are not searchable)."""
    from pypdf import PdfReader

    try:
        file.seek(0)
        reader = PdfReader(io.BytesIO(file.read()))
        parts: list[str] = []
        size = 0
        for page in reader.pages:
            text = page.extract_text() or ""
            parts.append(text)
            size += len(text)
            if size >= EXTRACT_MAX_CHARS:
                break
        return "\n".join(parts)[:EXTRACT_MAX_CHARS].replace("\x00", "")
    except Exception:  # a damaged or encrypted PDF: keep it, without its text
        logger.warning("findings: could not read the text of an uploaded PDF", exc_info=True)
        return ""
    finally:
        file.seek(0)


def _clean(
    values: dict[str, Any], *, by: User, current_pathway_id: int | None = None
) -> dict[str, Any]:
    """Check an item's values, with errors under the fields they concern. Filing an
    item under a pathway (a new item, or one moved there) needs the right to change
    that pathway; an item that stays where it is does not ask again."""
    errors: dict[str, Any] = {}
    for name in ("title", "summary", "body", "link"):
        if name in values:
            values[name] = (values[name] or "").strip()
    if "title" in values and not values["title"]:
        errors["title"] = _("Give the item a title.")
    if "kind" in values and values["kind"] not in FindingKind.values:
        errors["kind"] = _("Choose what kind of item this is.")
    workshop: Workshop | None = values.get("workshop")
    if workshop is not None:
        if values.get("pathway") is None:
            values["pathway"] = workshop.pathway
        elif values["pathway"].pk != workshop.pathway_id:
            errors["workshop"] = _("This workshop belongs to another pathway.")
    pathway: Pathway | None = values.get("pathway")
    kind = values.get("kind")
    if kind in (FindingKind.DOCUMENT, FindingKind.OUTPUT) and pathway is None:
        errors["pathway"] = _("A pathway's document or output names its pathway.")
    if errors:
        raise ValidationError(errors)
    if pathway is not None and pathway.pk != current_pathway_id:
        # Only the pathway's lead files documents, outputs and materials under it.
        require(by, Action.CHANGE, pathway)
    return values


def _attach(finding: Finding, file: UploadedFile) -> None:
    extension = _file_extension(file)
    finding.file_name = os.path.basename(file.name or "")[:200] or f"file{extension}"
    if extension == ".pdf":
        extracted = pdf_text(file)
        finding.file_text = extracted
    else:
        finding.file_text = ""
    finding.file.save(f"{finding.public_id}{extension}", file, save=False)


@contextmanager
def _files_kept_only_on_success() -> Iterator[list[tuple[Any, str]]]:
    """Files are written before their row is saved: names added to the yielded list are
    removed again if the block fails, so that a refused change leaves no file behind."""
    written: list[tuple[Any, str]] = []
    try:
        yield written
    except BaseException:
        for storage, name in written:
            storage.delete(name)
        raise


def finding_create(
    *,
    by: User,
    kind: str,
    title: str,
    summary: str = "",
    body: str = "",
    themes: Iterable[Theme] = (),
    pathway: Pathway | None = None,
    workshop: Workshop | None = None,
    link: str = "",
    file: UploadedFile | None = None,
) -> Finding:
    """Add an item to the library (a researcher)."""
    require(by, Action.CREATE, Finding)
    themes = list(themes)
    values = _clean(
        {
            "kind": kind,
            "title": title,
            "summary": summary,
            "body": body,
            "pathway": pathway,
            "workshop": workshop,
            "link": link,
        },
        by=by,
    )
    with _files_kept_only_on_success() as written, transaction.atomic():
        finding = Finding(author=by, **values)
        if file is not None:
            _attach(finding, file)
            written.append((finding.file.storage, finding.file.name))
        finding.save()
        finding.themes.set(list(themes))
        changes = diff({}, snapshot(finding, FIELDS))
        changes["themes"] = [None, sorted(t.name for t in themes)]
        audit_change(obj=finding, action="create", changes=changes, actor=by)
    return finding


def finding_update(
    *,
    finding: Finding,
    by: User,
    themes: Iterable[Theme] | None = None,
    file: UploadedFile | None = None,
    remove_file: bool = False,
    **values: Any,
) -> Finding:
    """Change an item (its author, or the lead of its pathway): its text, themes,
    pathway or workshop, link, and file (replaced, or removed)."""
    require(by, Action.CHANGE, finding)
    unknown = set(values) - {"kind", "title", "summary", "body", "pathway", "workshop", "link"}
    if unknown:
        raise ValueError(f"finding_update cannot change {sorted(unknown)}")
    merged = {
        "kind": finding.kind,
        "pathway": finding.pathway,
        "workshop": finding.workshop,
        **values,
    }
    # Moving an item to another pathway takes it off the old pathway's workshop.
    old_workshop = finding.workshop
    if "pathway" in values and "workshop" not in values and old_workshop is not None:
        new_pathway = values["pathway"]
        if new_pathway is None or new_pathway.pk != old_workshop.pathway_id:
            merged["workshop"] = None
    merged = _clean(merged, by=by, current_pathway_id=finding.pathway_id)
    with _files_kept_only_on_success() as written, transaction.atomic():
        locked = Finding.objects.select_for_update().get(pk=finding.pk)
        before = snapshot(locked, FIELDS)
        for name, value in merged.items():
            setattr(locked, name, value)
        old_file = locked.file.name if locked.file else ""
        if file is not None:
            _attach(locked, file)
            written.append((locked.file.storage, locked.file.name))
        elif remove_file and locked.file:
            locked.file = ""
            locked.file_name = ""
            locked.file_text = ""
        locked.updated_at = timezone.now()
        locked.save()
        changes = diff(before, snapshot(locked, FIELDS))
        if themes is not None:
            themes = list(themes)
            old = sorted(locked.themes.values_list("name", flat=True))
            locked.themes.set(themes)
            new = sorted(t.name for t in themes)
            if old != new:
                changes["themes"] = [old, new]
        if changes:
            audit_change(obj=locked, action="update", changes=changes, actor=by)
        new_file = locked.file.name if locked.file else ""
        if old_file and old_file != new_file:
            storage = locked.file.storage
            transaction.on_commit(lambda: storage.delete(old_file))
    finding.refresh_from_db()
    return finding


def finding_delete(*, finding: Finding, by: User) -> None:
    """Remove an item and its file (its author, or the lead of its pathway)."""
    require(by, Action.CHANGE, finding)
    with transaction.atomic():
        audit_change(obj=finding, action="delete", changes=snapshot(finding, FIELDS), actor=by)
        name = finding.file.name if finding.file else ""
        storage = finding.file.storage
        finding.delete()
        if name:
            transaction.on_commit(lambda: storage.delete(name))
