"""Forms of the fundraising app (see ../shared/ARCHITECTURE.md).

``GiveForm`` is the public donation form of a campaign's page: how much (a few
suggested amounts or another one), how to pay, who gives, and the donor's choices
(the wall, anonymity, news from the organisation). It only checks the input; the
services decide (``donor_create``, ``consent_set``, ``donation_pledge``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from fundraising.models import DonorKind, Method

SUGGESTED_AMOUNTS = (Decimal("10"), Decimal("25"), Decimal("50"), Decimal("100"))
OTHER = "other"
ONCE, MONTHLY = "once", "monthly"


def _euro(value: Decimal) -> str:
    return f"€ {value:,.0f}".replace(",", ".")


class GiveForm(forms.Form):
    """A gift to ``organisation`` (named in the consent's label); card payment is
    offered only when ``card`` is True (a payment provider is configured)."""

    amount = forms.ChoiceField(label=_("Amount"), widget=forms.RadioSelect)
    other_amount = forms.DecimalField(
        label=_("Other amount (€)"),
        required=False,
        max_digits=9,
        decimal_places=2,
        help_text=_("Fill in only when you chose “another amount”."),
    )
    method = forms.ChoiceField(label=_("How you pay"), widget=forms.RadioSelect)
    frequency = forms.ChoiceField(
        label=_("How often"),
        choices=[(ONCE, _("once")), (MONTHLY, _("every month, by standing bank transfer"))],
        initial=ONCE,
        required=False,  # once, unless monthly is chosen
        widget=forms.RadioSelect,
    )
    kind = forms.ChoiceField(
        label=_("You give as"),
        choices=DonorKind.choices,
        initial=DonorKind.PERSON,
        widget=forms.RadioSelect,
    )
    first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
    company_name = forms.CharField(
        label=_("Company or body name"),
        max_length=200,
        required=False,
        help_text=_("Only when you give as a company or body."),
    )
    email = forms.EmailField(label=_("E-mail"), max_length=254)
    tax_code = forms.CharField(
        label=_("Codice fiscale or partita IVA"),
        max_length=16,
        required=False,
        help_text=_(
            "Optional, but needed for the receipt that lets you deduct the gift from your taxes."
        ),
    )
    address = forms.CharField(label=_("Address"), max_length=250, required=False)
    postcode = forms.CharField(label=_("Postcode"), max_length=10, required=False)
    city = forms.CharField(label=_("City"), max_length=100, required=False)
    on_wall = forms.BooleanField(
        label=_("Show my name on the donor wall of this campaign"), required=False
    )
    anonymous = forms.BooleanField(
        label=_("Give anonymously"),
        required=False,
        help_text=_("Your name is not shown anywhere; the organisation still knows who gave."),
    )
    consent = forms.BooleanField(required=False)

    def __init__(self, *args: Any, organisation: Any, card: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "give-%s")
        super().__init__(*args, **kwargs)
        amount = cast(forms.ChoiceField, self.fields["amount"])
        amount.choices = [
            *((str(a), _euro(a)) for a in SUGGESTED_AMOUNTS),
            (OTHER, _("another amount")),
        ]
        self.fields["amount"].initial = str(SUGGESTED_AMOUNTS[1])
        methods = [(Method.BANK_TRANSFER.value, Method.BANK_TRANSFER.label)]
        if card:
            methods.append((Method.CARD.value, Method.CARD.label))
        method = cast(forms.ChoiceField, self.fields["method"])
        method.choices = methods
        self.fields["method"].initial = Method.BANK_TRANSFER.value
        self.fields["consent"].label = _(
            "I agree to receive news about its campaigns from %(organisation)s"
        ) % {"organisation": organisation}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("amount") == OTHER and data.get("other_amount") is None:
            self.add_error("other_amount", _("Give the amount you want to give."))
        if data.get("kind") == DonorKind.COMPANY:
            if not (data.get("company_name") or "").strip():
                self.add_error("company_name", _("Give the name of the company or body."))
        elif data.get("kind") == DonorKind.PERSON:
            if not (data.get("first_name") or "").strip():
                self.add_error("first_name", _("Give your first name."))
            if not (data.get("last_name") or "").strip():
                self.add_error("last_name", _("Give your last name."))
        if data.get("frequency") == MONTHLY and data.get("method") != Method.BANK_TRANSFER:
            self.add_error(
                "frequency",
                _("A monthly gift is made by a standing bank transfer: choose bank transfer."),
            )
        if data.get("anonymous"):
            data["on_wall"] = False  # an anonymous gift is never on the wall
        return data

    def chosen_amount(self) -> Decimal:
        """The amount given (valid forms only)."""
        data = self.cleaned_data
        if data["amount"] == OTHER:
            return Decimal(data["other_amount"])
        return Decimal(data["amount"])

    def donor_fields(self) -> dict[str, Any]:
        """The donor's fields for ``donor_create`` (valid forms only): the tax code goes
        to the partita IVA when a company gives one of 11 digits."""
        data = self.cleaned_data
        company = data["kind"] == DonorKind.COMPANY
        code = (data.get("tax_code") or "").strip().upper().replace(" ", "")
        is_vat = company and len(code) == 11 and code.isdigit()
        return {
            "kind": data["kind"],
            "first_name": "" if company else data["first_name"],
            "last_name": "" if company else data["last_name"],
            "company_name": data["company_name"] if company else "",
            "email": data["email"],
            "codice_fiscale": "" if is_vat else code,
            "partita_iva": code if is_vat else "",
            "address": data["address"],
            "postcode": data["postcode"],
            "city": data["city"],
        }
