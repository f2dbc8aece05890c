"""Forms of the fundraisers' desk for donors, donations, receipts and exports
(fundraising/views/manage_gifts.py). They only check the input; the services decide
(``donor_create``, ``donor_update``, ``consent_set``, ``donation_record``,
``donation_receive``, ``donation_refund``, ``donation_cancel``, ``soft_credit_add``,
``receipt_issue``, ``receipt_cancel``) and their refusals come back on these forms."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fundraising.models import (
    Campaign,
    DonationStatus,
    DonorKind,
    Method,
    SoftCreditKind,
)
from partners.forms import Styled
from partners.models import Organisation

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
CONSENT_SOURCES = (
    ("paper form", _("a form on paper")),
    ("phone call", _("a phone call")),
    ("e-mail", _("an e-mail from the donor")),
    ("in person", _("in person")),
)


class EuroField(forms.DecimalField):
    """An amount in euro as people type it: "40", "40.5", "40,50", "1.234,50", "€ 12"."""

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            value = value.replace("€", "").replace(" ", "").strip()
            if "," in value:
                value = value.replace(".", "").replace(",", ".")
        return super().to_python(value)


class DonorSearchForm(Styled):
    q = forms.CharField(
        label=_("Search donors"),
        required=False,
        max_length=100,
        help_text=_("Name, company, codice fiscale, partita IVA or e-mail."),
    )


class DonorForm(Styled):
    """A donor's details, as a fundraiser enters them (a person or a company)."""

    kind = forms.ChoiceField(
        label=_("The donor is"),
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
        help_text=_("Only for a company or body."),
    )
    codice_fiscale = forms.CharField(label=_("Codice fiscale"), max_length=20, required=False)
    partita_iva = forms.CharField(
        label=_("Partita IVA"),
        max_length=16,
        required=False,
        help_text=_("For a company, a body or a self-employed person."),
    )
    email = forms.EmailField(label=_("E-mail"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    address = forms.CharField(label=_("Address"), max_length=250, required=False)
    postcode = forms.CharField(label=_("Postcode"), max_length=10, required=False)
    city = forms.CharField(label=_("City"), max_length=100, required=False)
    wall_name = forms.CharField(
        label=_("Name on the donor wall"),
        max_length=120,
        required=False,
        help_text=_("Left empty: the first name and the initial of the last name."),
    )

    def donor_fields(self) -> dict[str, Any]:
        """The fields for ``donor_create`` / ``donor_update`` (valid forms only); a
        company has no first and last name, a person no company name (a self-employed
        person may have a partita IVA)."""
        data = dict(self.cleaned_data)
        if data["kind"] == DonorKind.COMPANY:
            data["first_name"] = data["last_name"] = ""
        else:
            data["company_name"] = ""
        return data


class ConsentForm(Styled):
    """A donor's consent to hear from one of the fundraiser's organisations."""

    organisation = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Organisation.objects.none(), empty_label=None
    )
    given = forms.TypedChoiceField(
        label=_("Consent"),
        choices=(("yes", _("given")), ("no", _("withdrawn"))),
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    source = forms.ChoiceField(label=_("How the donor said so"), choices=CONSENT_SOURCES)

    def __init__(self, *args: Any, organisations: QuerySet[Organisation], **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "consent-%s")
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations  # type: ignore[attr-defined]


class DonationFilterForm(Styled):
    """The filters of the donations list (and of its export); every field optional, an
    unknown value is an error (the page answers 400)."""

    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("any")), *DonationStatus.choices]
    )
    campaign = forms.ModelChoiceField(
        label=_("Campaign"), required=False, queryset=Campaign.objects.none(), empty_label=_("any")
    )
    method = forms.ChoiceField(
        label=_("Method"), required=False, choices=[("", _("any")), *Method.choices]
    )
    since = forms.DateField(label=_("From"), required=False, widget=DATE)
    until = forms.DateField(label=_("To"), required=False, widget=DATE)

    def __init__(self, *args: Any, campaigns: QuerySet[Campaign], **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "filter-%s")
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = campaigns  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", _("The end of the period comes before its start."))
        return data


class DonationRecordForm(Styled):
    """A gift the fundraiser has in hand: who gave (a donor of theirs, or nobody
    named), to which campaign or organisation, how much, how and when."""

    donor = forms.UUIDField(required=False, widget=forms.HiddenInput)
    donor_code = forms.CharField(
        label=_("Donor"),
        max_length=254,
        required=False,
        help_text=_(
            "The donor's codice fiscale, partita IVA or e-mail; leave it empty for a gift "
            "from somebody not recorded (e.g. cash at a stand)."
        ),
    )
    campaign = forms.ModelChoiceField(
        label=_("Campaign"),
        required=False,
        queryset=Campaign.objects.none(),
        empty_label=_("no campaign"),
    )
    organisation = forms.ModelChoiceField(
        label=_("Organisation"),
        required=False,
        queryset=Organisation.objects.none(),
        empty_label=_("the campaign's organisation"),
        help_text=_("For a gift to the organisation without a campaign."),
    )
    amount = EuroField(label=_("Amount (€)"), max_digits=12, decimal_places=2)
    method = forms.ChoiceField(label=_("Method"), choices=Method.choices)
    received_on = forms.DateField(label=_("Received on"), widget=DATE)
    anonymous = forms.BooleanField(label=_("Anonymous gift"), required=False)
    on_wall = forms.BooleanField(
        label=_("The donor agreed to appear on the donor wall"), required=False
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(
        self,
        *args: Any,
        campaigns: QuerySet[Campaign],
        organisations: QuerySet[Organisation],
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("auto_id", "record-%s")
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = campaigns  # type: ignore[attr-defined]
        self.fields["organisation"].queryset = organisations  # type: ignore[attr-defined]
        self.fields["received_on"].initial = timezone.localdate()


class ReceiveForm(Styled):
    received_on = forms.DateField(label=_("Received on"), widget=DATE)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "receive-%s")
        super().__init__(*args, **kwargs)
        self.fields["received_on"].initial = timezone.localdate()


class ReasonForm(Styled):
    """The reason of a refund, of a cancelled pledge or of a cancelled receipt."""

    reason = forms.CharField(label=_("Reason"), max_length=250)

    def __init__(self, *args: Any, prefix_id: str = "reason", **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"{prefix_id}-%s")
        super().__init__(*args, **kwargs)


class SoftCreditForm(Styled):
    kind = forms.ChoiceField(label=_("Credit"), choices=SoftCreditKind.choices)
    donor_code = forms.CharField(
        label=_("Credited donor"),
        max_length=254,
        required=False,
        help_text=_("The codice fiscale, partita IVA or e-mail of one of your donors."),
    )
    name = forms.CharField(
        label=_("Or the name"),
        max_length=200,
        required=False,
        help_text=_("The company, the person remembered, the group."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "credit-%s")
        super().__init__(*args, **kwargs)


class ReceiptFilterForm(Styled):
    year = forms.IntegerField(label=_("Year"), required=False, min_value=2000, max_value=2100)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "receipts-%s")
        super().__init__(*args, **kwargs)


FORMATS = (("xlsx", _("Excel workbook (XLSX)")), ("csv", _("CSV (semicolons, UTF-8)")))


class YearlyTotalsForm(Styled):
    """Which organisation's donors, which year, which format."""

    organisation = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Organisation.objects.none(), empty_label=None
    )
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    format = forms.ChoiceField(label=_("Format"), choices=FORMATS)

    def __init__(self, *args: Any, organisations: QuerySet[Organisation], **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "yearly-%s")
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations  # type: ignore[attr-defined]
        self.fields["year"].initial = timezone.localdate().year - 1

    def clean_year(self) -> int:
        year: int = self.cleaned_data["year"]
        if year > timezone.localdate().year:
            raise forms.ValidationError(_("Choose a year that has begun."))
        return year
