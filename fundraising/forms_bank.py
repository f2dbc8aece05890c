"""Forms of the bank statements pages of the fundraisers' desk: uploading a statement,
and the three answers to a credit to review (the pledge it pays, a new gift, not a
gift). They only parse; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from fundraising.models import BankEntry, Campaign, CampaignStatus, Donation
from fundraising.services.reconciliation import MAX_STATEMENT_BYTES, pledge_by_causale
from partners.forms import Styled
from partners.models import Organisation


class StatementUploadForm(Styled):
    organisation = forms.ModelChoiceField(
        label=_("Account of"), queryset=Organisation.objects.none(), empty_label=None
    )
    file = forms.FileField(
        label=_("Statement file"),
        help_text=_("ISO 20022 camt.053 (XML) or the CSV export of your home banking."),
    )

    def __init__(self, *args: Any, organisations: QuerySet[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations  # type: ignore[attr-defined]
        self.fields["file"].widget.attrs["accept"] = ".xml,.csv,.txt,text/csv,application/xml"

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_STATEMENT_BYTES:
            raise forms.ValidationError(
                _("The statement file is larger than %(mb)s MB."),
                params={"mb": MAX_STATEMENT_BYTES // (1024 * 1024)},
                code="too_large",
            )
        return upload


class EntryConfirmForm(Styled):
    """The pledge a credit pays: one of those proposed, or found by its causale."""

    donation = forms.ModelChoiceField(
        label=_("Pledged gift"), queryset=Donation.objects.none(), required=False
    )
    causale = forms.CharField(label=_("Or the causale of the gift"), required=False, max_length=40)

    def __init__(self, *args: Any, entry: BankEntry, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.entry = entry
        # Any gift of the organisation: a choice gone stale is the service's to refuse.
        self.fields["donation"].queryset = Donation.objects.filter(  # type: ignore[attr-defined]
            organisation_id=entry.organisation_id
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("donation") is None:
            causale = (data.get("causale") or "").strip()
            if not causale:
                raise forms.ValidationError(
                    _("Choose the pledged gift this credit pays, or give its causale."),
                    code="required",
                )
            found = pledge_by_causale(self.entry.organisation, causale)
            if found is None:
                self.add_error("causale", _("No gift of this organisation has this causale."))
            data["donation"] = found
        return data


class EntryGiftForm(Styled):
    """A credit that is a gift nobody pledged: the campaign it goes to, if any."""

    campaign = forms.ModelChoiceField(
        label=_("Campaign"),
        queryset=Campaign.objects.none(),
        required=False,
        empty_label=_("No campaign (a gift to the organisation)"),
    )
    anonymous = forms.BooleanField(label=_("The donor asked to stay anonymous"), required=False)

    def __init__(self, *args: Any, entry: BankEntry, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        campaigns = (
            Campaign.objects.filter(organisation_id=entry.organisation_id)
            .exclude(status=CampaignStatus.DRAFT)
            .order_by("-starts_on", "title")
        )
        self.fields["campaign"].queryset = campaigns  # type: ignore[attr-defined]
