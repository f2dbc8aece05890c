"""Research pathways (minimal: the frame a survey belongs to)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from legami.audit import audit_change, diff, snapshot
from legami.models import User
from legami.policy import Action, require
from partners.models import Organisation
from research.models import Pathway


def pathway_create(
    *,
    by: User,
    title: str,
    theme: str = "",
    organisations: Iterable[Organisation] = (),
    starts_on: dt.date | None = None,
    ends_on: dt.date | None = None,
) -> Pathway:
    """A pathway led by ``by`` (a researcher)."""
    require(by, Action.CREATE, Pathway)
    if not (title or "").strip():
        raise ValidationError({"title": ValidationError(_("Give the pathway a title."))})
    if starts_on and ends_on and ends_on < starts_on:
        raise ValidationError(
            {"ends_on": ValidationError(_("A pathway cannot end before it starts."))}
        )
    with transaction.atomic():
        pathway = Pathway.objects.create(
            title=title.strip(), theme=theme.strip(), lead=by, starts_on=starts_on, ends_on=ends_on
        )
        pathway.organisations.set(list(organisations))
        audit_change(
            obj=pathway,
            action="create",
            changes=diff(
                {}, snapshot(pathway, ("title", "theme", "lead_id", "starts_on", "ends_on"))
            ),
            actor=by,
        )
    return pathway
