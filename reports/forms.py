"""Forms of the reports app (see ../shared/ARCHITECTURE.md)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from legami.models import Ambito, Comune
from partners.forms import Styled
from reports.indicators import Period, parse_period
from reports.models import ExportFormat


class ReportChoiceForm(Styled):
    """Which report to open: an ambito the person may read, a period written as in the
    report's address, and optionally one comune of that ambito."""

    ambito = forms.ChoiceField(label=_("Ambito"))
    period = forms.CharField(
        label=_("Period"),
        max_length=9,
        help_text=_(
            "A month (2026-03), a quarter (2026-Q1), a year (2026) or a three-year "
            "piano di zona (2025-2027)."
        ),
    )
    comune = forms.TypedChoiceField(
        label=_("Comune (optional)"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_("Leave empty for the whole ambito. The comune must be one of the ambito."),
    )

    def __init__(self, *args: Any, ambiti: QuerySet[Ambito], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ambiti = {ambito.code: ambito for ambito in ambiti}
        choices = [(code, ambito.name) for code, ambito in self.ambiti.items()]
        self.fields["ambito"].choices = choices  # type: ignore[attr-defined]
        self.comuni: dict[int, Comune] = {
            comune.pk: comune
            for comune in Comune.objects.filter(ambito__in=self.ambiti.values()).order_by(
                "ambito__name", "name"
            )
        }
        names: dict[int | None, str] = {a.pk: a.name for a in self.ambiti.values()}
        groups: dict[str, list[tuple[int, str]]] = {}
        for comune in self.comuni.values():
            groups.setdefault(names[comune.ambito_id], []).append((comune.pk, comune.name))
        whole = [("", _("The whole ambito"))]
        self.fields["comune"].choices = [*whole, *groups.items()]  # type: ignore[attr-defined]

    def clean_period(self) -> Period:
        try:
            return parse_period(self.cleaned_data["period"])
        except ValueError:
            raise forms.ValidationError(
                _("Write the period as 2026-03, 2026-Q1, 2026 or 2025-2027."), code="period"
            ) from None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        comune_id = cleaned.get("comune")
        ambito = self.ambiti.get(cleaned.get("ambito", ""))
        if (
            comune_id is not None
            and ambito is not None
            and self.comuni[comune_id].ambito_id != ambito.pk
        ):
            self.add_error("comune", _("This comune is not in the ambito chosen."))
        return cleaned


class ExportForm(Styled):
    """Which file of the report on the page to prepare."""

    format = forms.ChoiceField(
        label=_("Format"),
        choices=ExportFormat.choices,
        initial=ExportFormat.XLSX,
        widget=forms.RadioSelect,
    )
