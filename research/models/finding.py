"""The findings library: notes, reports and materials of Wel(l)fare LAB, tagged by theme
and pathway, searched in full text (PostgreSQL text search with the Italian
configuration; ``research.search``).

A pathway's documents and outputs, and a workshop's materials, are items of this one
library (``kind``, ``pathway``, ``workshop``), not separate stores."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from research.models.pathway import Pathway, Workshop


def library_storage() -> Any:
    """Files of the library live in the private storage, served only through the
    library's download page (which asks the policy), never under MEDIA_URL."""
    from django.core.files.storage import storages

    return storages["private"]


class Theme(models.Model):
    """A theme of the library (e.g. "solitudine", "lavoro povero")."""

    name = models.CharField(_("name"), max_length=80, unique=True)

    class Meta:
        verbose_name = _("theme")
        verbose_name_plural = _("themes")
        ordering: ClassVar = ["name"]
        constraints: ClassVar = [
            # "Solitudine" and "solitudine" are one theme.
            models.UniqueConstraint(Lower("name"), name="research_theme_name_ci"),
        ]

    def __str__(self) -> str:
        return self.name


class FindingKind(models.TextChoices):
    NOTE = "note", _("note")
    REPORT = "report", _("report")
    MATERIAL = "material", _("material")
    DOCUMENT = "document", _("pathway document")
    OUTPUT = "output", _("pathway output")


class Finding(models.Model):
    """An item of the library: a text, and optionally a file or a link."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=10, choices=FindingKind.choices)
    title = models.CharField(_("title"), max_length=250)
    summary = models.TextField(_("summary"), blank=True, default="")
    body = models.TextField(_("text"), blank=True, default="")
    themes = models.ManyToManyField(
        Theme, verbose_name=_("themes"), related_name="findings", blank=True
    )
    pathway = models.ForeignKey(
        Pathway,
        verbose_name=_("pathway"),
        related_name="findings",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    workshop = models.ForeignKey(
        Workshop,
        verbose_name=_("workshop"),
        related_name="materials",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    file = models.FileField(
        _("file"), upload_to="research/library/%Y/", storage=library_storage, blank=True
    )
    file_name = models.CharField(_("file name"), max_length=200, blank=True, default="")
    # The text of the file (PDFs), extracted on upload for the full-text search.
    file_text = models.TextField(blank=True, default="", editable=False)
    link = models.URLField(_("link"), blank=True, default="")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("added by"),
        related_name="research_findings",
        on_delete=models.PROTECT,
    )
    created_at = models.DateTimeField(_("added"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("library item")
        verbose_name_plural = _("library items")
        ordering: ClassVar = ["-created_at", "-id"]
        indexes: ClassVar = [models.Index(fields=["kind", "created_at"])]
        constraints: ClassVar = [
            # A workshop's material belongs to the workshop's pathway.
            models.CheckConstraint(
                condition=Q(workshop__isnull=True) | Q(pathway__isnull=False),
                name="research_finding_workshop_has_pathway",
            ),
            # Documents and outputs are a pathway's.
            models.CheckConstraint(
                condition=~Q(kind__in=["document", "output"]) | Q(pathway__isnull=False),
                name="research_finding_document_has_pathway",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("research:finding_detail", args=[self.public_id])
