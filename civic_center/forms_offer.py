"""The offer form of partner staff: what, where, when, for whom, at which prices.

The forms parse input; ``civic_center.services.offer_save`` decides (tiers that start at
one family, prices that never rise, shares below 100 %…) and its refusals are shown on
these forms. One page holds four parts: the offer itself (``OfferForm``, with the 7×3
capacity grid as one number field per window), the price tiers (``TierFormSet``) and the
joint partners (``PartnerFormSet``). A row left blank in a formset is ignored.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from civic_center import windows
from civic_center.models import Offer, PricingMode, ServiceCategory
from legami.models import Comune
from partners.forms import DATE_WIDGET, Styled
from partners.models import Organisation

# Bounds that keep input within what the database stores (small integers, decimals of a
# few digits): a larger number is a field error, never a database error.
MAX_FAMILIES = 1000
MAX_UNITS = Decimal("9999")
MAX_PRICE = Decimal("9999.99")
PRICE = {
    "max_digits": 6,
    "decimal_places": 2,
    "min_value": Decimal("0.01"),
    "max_value": MAX_PRICE,
}
MAX_ROWS = 10


def capacity_field_name(window: int) -> str:
    return f"capacity_{window}"


class OfferForm(Styled):
    """An offer with its comuni and weekly capacity (units per week in each window;
    blank means none)."""

    organisation = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Organisation.objects.none(), empty_label=None
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    category = forms.ModelChoiceField(
        label=_("Service"), queryset=ServiceCategory.objects.filter(is_active=True)
    )
    comuni = forms.ModelMultipleChoiceField(
        label=_("Comuni served"),
        queryset=Comune.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    pricing_mode = forms.ChoiceField(
        label=_("How the price tiers apply"),
        choices=PricingMode.choices,
        initial=PricingMode.VOLUME,
        widget=forms.RadioSelect,
    )
    min_group_size = forms.IntegerField(
        label=_("Smallest group (families)"), min_value=1, max_value=MAX_FAMILIES, initial=1
    )
    max_group_size = forms.IntegerField(
        label=_("Largest group (families)"),
        min_value=1,
        max_value=MAX_FAMILIES,
        required=False,
        help_text=_("Leave blank for no limit."),
    )
    valid_from = forms.DateField(label=_("Valid from"), widget=DATE_WIDGET)
    valid_until = forms.DateField(label=_("Valid until"), widget=DATE_WIDGET)

    def __init__(self, *args: Any, organisations: QuerySet[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations  # type: ignore[attr-defined]
        self.fields["comuni"].queryset = (  # type: ignore[attr-defined]
            Comune.objects.filter(ambito__isnull=False)
            .select_related("ambito")
            .order_by("ambito__name", "name")
        )
        for i in range(windows.COUNT):
            self.fields[capacity_field_name(i)] = forms.DecimalField(
                label=windows.label(i),
                required=False,
                min_value=Decimal(0),
                max_value=MAX_UNITS,
                max_digits=6,
                decimal_places=2,
                widget=forms.NumberInput(
                    attrs={"class": "form-control", "step": "0.5", "inputmode": "decimal"}
                ),
            )

    # The grid fields are drawn by the template, not in the field list.
    def main_fields(self) -> list[forms.BoundField]:
        skip = {"comuni", "pricing_mode"}
        return [
            self[name]
            for name in self.fields
            if not name.startswith("capacity_") and name not in skip
        ]

    def comuni_groups(self) -> list[tuple[str, list[Any]]]:
        """The comuni checkboxes grouped by ambito, for a fieldset per ambito."""
        comuni = list(self.fields["comuni"].queryset)  # type: ignore[attr-defined]
        groups: dict[str, list[Any]] = {}
        for comune, option in zip(comuni, self["comuni"], strict=True):
            groups.setdefault(comune.ambito.name, []).append(option)
        return list(groups.items())

    def capacity_grid(self) -> list[tuple[str, list[forms.BoundField]]]:
        """Seven rows (days) of three fields (morning, afternoon, evening)."""
        return [
            (
                str(day),
                [self[capacity_field_name(windows.index(d, b))] for b in range(len(windows.BANDS))],
            )
            for d, day in enumerate(windows.DAYS)
        ]

    def capacity_errors(self) -> list[str]:
        return [
            str(e)
            for i in range(windows.COUNT)
            for e in self.errors.get(capacity_field_name(i), [])
        ]

    def capacity(self) -> dict[int, Decimal]:
        """``{window: units}`` for the windows given a positive number."""
        result = {}
        for i in range(windows.COUNT):
            units = self.cleaned_data.get(capacity_field_name(i))
            if units:
                result[i] = units
        return result

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("valid_from"), data.get("valid_until")
        if start and end and end < start:
            self.add_error("valid_until", _("The end of validity comes before its start."))
        low, high = data.get("min_group_size"), data.get("max_group_size")
        if low and high and high < low:
            self.add_error("max_group_size", _("The largest group is smaller than the smallest."))
        return data


class TierForm(Styled):
    min_families = forms.IntegerField(label=_("From families"), min_value=1, max_value=MAX_FAMILIES)
    unit_price = forms.DecimalField(label=_("Unit price (€)"), **PRICE)  # type: ignore[arg-type]


class PartnerForm(Styled):
    organisation = forms.ModelChoiceField(
        label=_("Partner organisation"),
        queryset=Organisation.objects.filter(is_active=True).order_by("name"),
    )
    share_percent = forms.DecimalField(
        label=_("Share (%)"),
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=Decimal("99.99"),
    )


class _RowsFormSet(forms.BaseFormSet):
    """A formset whose blank rows are ignored and that keeps the rows' own order."""

    def filled(self) -> list[dict[str, Any]]:
        return [
            f.cleaned_data
            for f in self.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]


# At most ten rows each: more are refused (a formset error), not silently dropped.
TierFormSet = forms.formset_factory(
    TierForm,
    formset=_RowsFormSet,
    extra=2,
    max_num=MAX_ROWS,
    validate_max=True,
    can_delete=True,
)
PartnerFormSet = forms.formset_factory(
    PartnerForm,
    formset=_RowsFormSet,
    extra=1,
    max_num=MAX_ROWS,
    validate_max=True,
    can_delete=True,
)


def offer_initial(offer: Offer) -> dict[str, Any]:
    """The form's initial values from a saved offer (tiers and partners apart)."""
    initial: dict[str, Any] = {
        "organisation": offer.organisation_id,
        "title": offer.title,
        "description": offer.description,
        "category": offer.category_id,
        "comuni": [c.pk for c in offer.comuni.all()],
        "pricing_mode": offer.pricing_mode,
        "min_group_size": offer.min_group_size,
        "max_group_size": offer.max_group_size,
        "valid_from": offer.valid_from,
        "valid_until": offer.valid_until,
    }
    for row in offer.capacity.all():
        initial[capacity_field_name(row.window)] = row.units
    return initial


def rows_initial(rows: Iterable[Any], *names: str) -> list[dict[str, Any]]:
    return [{name: getattr(row, name) for name in names} for row in rows]


class MarketFilterForm(Styled):
    """Filters of the pseudonymised demand: a service and a comune (both optional)."""

    category = forms.ModelChoiceField(
        label=_("Service"),
        queryset=ServiceCategory.objects.filter(is_active=True),
        required=False,
        empty_label=_("All services"),
    )
    comune = forms.ModelChoiceField(
        label=_("Comune"),
        queryset=Comune.objects.none(),
        required=False,
        empty_label=_("All comuni"),
    )

    def __init__(self, *args: Any, comuni: QuerySet[Comune], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["comune"].queryset = comuni  # type: ignore[attr-defined]
