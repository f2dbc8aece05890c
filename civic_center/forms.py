"""Forms of the civic_center app: a family's demand (``DemandForm``) and the same demand
entered by an operator for a family (``OnBehalfDemandForm``). They parse input; the
services (``civic_center.services.demand_create``) decide and change. The offer forms are
in ``civic_center.forms_offer``."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from civic_center import windows
from civic_center.models import ServiceCategory, Unit
from legami.models import Comune
from partners.forms import DATE_WIDGET, Styled


def unit_label(unit: str) -> str:
    """The name of a unit (``hour`` → "hour", in the language being spoken)."""
    return str(Unit(unit).label) if unit in Unit.values else unit


class CategorySelect(forms.Select):
    """A select of services whose options carry their unit (``data-unit``), so that the
    page can show "hours per week" next to the quantity as soon as a service is chosen."""

    units: dict[str, str]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.units = {}

    def create_option(self, name: str, value: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option = super().create_option(name, value, *args, **kwargs)
        unit = self.units.get(str(value))
        if unit:
            option["attrs"]["data-unit"] = unit
        return option


class DemandForm(Styled):
    """What a family needs and what it can pay: the service, the comune, the weekly
    windows (a 7 days × 3 parts-of-day grid of checkboxes), the period, the quantity per
    week in the service's unit, the highest unit price and whether it accepts sharing
    the service with other families (which is what lowers the price)."""

    category = forms.ModelChoiceField(
        label=_("Service"),
        queryset=ServiceCategory.objects.none(),
        to_field_name="code",
        empty_label=_("Choose a service"),
        widget=CategorySelect,
    )
    comune = forms.ModelChoiceField(
        label=_("Municipality"),
        queryset=Comune.objects.none(),
        empty_label=_("Choose a municipality"),
        help_text=_("Where the service is needed."),
    )
    windows = forms.TypedMultipleChoiceField(
        label=_("When do you need it?"),
        choices=windows.choices,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Tick every part of the week that suits you: the more you tick, the "
            "easier it is to find a group."
        ),
        error_messages={"required": _("Tick at least one part of the week.")},
    )
    start_date = forms.DateField(label=_("From"), widget=DATE_WIDGET)
    end_date = forms.DateField(label=_("Until"), widget=DATE_WIDGET)
    quantity_per_week = forms.DecimalField(
        label=_("How much per week"),
        max_digits=6,
        decimal_places=2,
        min_value=Decimal("0.01"),
        widget=forms.NumberInput(attrs={"step": "0.5", "inputmode": "decimal"}),
        help_text=_("In the unit the service is sold in: for instance 4 hours a week."),
    )
    max_unit_price = forms.DecimalField(
        label=_("Highest price you can pay per unit (€)"),
        max_digits=8,
        decimal_places=2,
        min_value=Decimal("0.01"),
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
        help_text=_("We will only propose groups at this price or less."),
    )
    accepts_sharing = forms.BooleanField(
        label=_("I accept to share the service with other families"),
        required=False,
        initial=True,
        help_text=_(
            "Families nearby who ask for the same service buy it together from the same "
            "provider, each at its own times and for its own period: the price per family "
            "falls as the group grows. "
            "Your name and contacts are given to the provider only after you accept a "
            "group and the provider confirms it."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        categories = list(ServiceCategory.objects.filter(is_active=True))
        category_field: forms.ModelChoiceField = self.fields["category"]  # type: ignore[assignment]
        category_field.queryset = ServiceCategory.objects.filter(is_active=True)
        category_field.widget.choices = [
            ("", category_field.empty_label),
            *((c.code, f"{c.label} ({unit_label(c.unit)})") for c in categories),
        ]
        category_field.widget.units = {c.code: unit_label(c.unit) for c in categories}
        self.units = category_field.widget.units

        comune_field: forms.ModelChoiceField = self.fields["comune"]  # type: ignore[assignment]
        comune_field.queryset = Comune.objects.filter(is_active=True)
        comune_field.widget.choices = [("", comune_field.empty_label), *self._comuni_by_ambito()]

    @staticmethod
    def _comuni_by_ambito() -> list[tuple[str, list[tuple[int, str]]]]:
        """The active comuni grouped by ambito (``<optgroup>``), in one query."""
        groups: dict[str, list[tuple[int, str]]] = {}
        for comune in (
            Comune.objects.filter(is_active=True)
            .select_related("ambito")
            .order_by("ambito__name", "name")
        ):
            key = comune.ambito.name if comune.ambito else str(_("Other municipalities"))
            groups.setdefault(key, []).append((comune.pk, comune.name))
        return list(groups.items())

    def clean_windows(self) -> int:
        return windows.mask_of(self.cleaned_data["windows"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("The period ends before it starts."))
        return cleaned

    @property
    def unit(self) -> str:
        """The unit of the service chosen (or offered as the first choice), for the
        label next to the quantity; empty when none is chosen yet."""
        code = self["category"].value()
        if isinstance(code, ServiceCategory):
            code = code.code
        return self.units.get(str(code or ""), "")

    def window_rows(self) -> list[dict[str, Any]]:
        """The windows grid: one row per day, one checkbox per part of the day, each
        with the full label ("Monday, morning") its <label> reads out."""
        options = {int(option.data["value"]): option for option in self["windows"]}
        return [
            {
                "day": windows.DAYS[day],
                "cells": [
                    {
                        "option": options[windows.index(day, band)],
                        "label": windows.label(windows.index(day, band)),
                    }
                    for band in range(len(windows.BANDS))
                ],
            }
            for day in range(len(windows.DAYS))
        ]

    def service_kwargs(self) -> dict[str, Any]:
        """The cleaned values as ``demand_create`` takes them."""
        data = self.cleaned_data
        return {
            "category": data["category"],
            "comune": data["comune"],
            "windows": data["windows"],
            "start_date": data["start_date"],
            "end_date": data["end_date"],
            "quantity_per_week": data["quantity_per_week"],
            "max_unit_price": data["max_unit_price"],
            "accepts_sharing": data["accepts_sharing"],
        }


class OnBehalfDemandForm(DemandForm):
    """A demand an operator enters for a family (often one without an account): the
    demand itself and who the family is, so that the provider can reach it once a group
    is agreed."""

    contact_name = forms.CharField(
        label=_("Family's name"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    contact_email = forms.EmailField(label=_("Family's e-mail"), required=False)
    contact_phone = forms.CharField(label=_("Family's telephone"), max_length=40, required=False)
    address = forms.CharField(label=_("Family's address"), max_length=250, required=False)

    CONTACT_FIELDS = ("contact_name", "contact_email", "contact_phone", "address")

    def service_kwargs(self) -> dict[str, Any]:
        kwargs = super().service_kwargs()
        kwargs.update({name: self.cleaned_data[name] for name in self.CONTACT_FIELDS})
        return kwargs

    def demand_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name not in self.CONTACT_FIELDS]

    def contact_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.CONTACT_FIELDS]
