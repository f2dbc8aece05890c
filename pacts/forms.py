"""Forms of the pact pages: they parse what the worker typed; the services decide and
change (see ../shared/ARCHITECTURE.md). A form field shows its errors the Bootstrap
Italia way (``is-invalid``) on top of the ``aria-invalid`` and ``aria-describedby``
Django adds."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from pacts.models import (
    CommitmentDirection,
    CommitmentKind,
    CommitmentPeriod,
    CommitmentUnit,
    PactStatus,
    SignatoryKind,
)
from partners.forms import DATE_WIDGET, Styled
from partners.models import Organisation


def network_organisations() -> QuerySet[Organisation]:
    """The organisations a pact can name: the active ones of the network."""
    return Organisation.objects.filter(is_active=True).order_by("name")


class PactFilterForm(Styled):
    """The filters of the pact list (nothing in them names a person)."""

    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("All")), *PactStatus.choices], required=False
    )
    due = forms.ChoiceField(
        label=_("Next review"),
        choices=[("", _("Any date")), ("overdue", _("Overdue")), ("soon", _("Due soon"))],
        required=False,
    )
    mine = forms.BooleanField(label=_("Only the pacts of my cases"), required=False)


# The pact's own fields, in the order the editor shows them.
PACT_FIELDS = (
    "title",
    "context",
    "strengths",
    "covers_household",
    "start_date",
    "end_date",
    "review_every_weeks",
)


class PactForm(Styled):
    """Title, context, strengths, dates and review schedule of a pact."""

    title = forms.CharField(label=_("Title"), max_length=200)
    context = forms.CharField(
        label=_("Context"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("The person's situation, in a few lines."),
    )
    strengths = forms.CharField(
        label=_("Strengths and resources of the person"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    covers_household = forms.BooleanField(label=_("Pact with the whole household"), required=False)
    start_date = forms.DateField(label=_("Start date"), required=False, widget=DATE_WIDGET)
    end_date = forms.DateField(label=_("Planned end date"), required=False, widget=DATE_WIDGET)
    review_every_weeks = forms.IntegerField(
        label=_("Review every (weeks)"),
        min_value=1,
        max_value=52,
        initial=8,
        help_text=_("How often the pact is reviewed with the person."),
    )

    def clean_title(self) -> str:
        title = self.cleaned_data["title"].strip()
        if not title:
            raise forms.ValidationError(_("Give the pact a title."))
        return str(title)


class GoalForm(Styled):
    """A goal with a measurable indicator and a target date."""

    description = forms.CharField(label=_("Goal"), max_length=300)
    indicator = forms.CharField(
        label=_("Indicator"),
        max_length=300,
        help_text=_("How you will know it is reached, e.g. 'attends the lab twice a month'."),
    )
    target = forms.CharField(label=_("Target value"), max_length=100, required=False)
    target_date = forms.DateField(label=_("Target date"), widget=DATE_WIDGET)
    organisation = forms.ModelChoiceField(
        label=_("Concerns the organisation"),
        queryset=Organisation.objects.none(),
        required=False,
        help_text=_("The staff of this organisation will see the goal."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = network_organisations()  # type: ignore[attr-defined]


class CommitmentForm(Styled):
    """A commitment: support to the person, or what the person gives back."""

    direction = forms.ChoiceField(label=_("Direction"), choices=CommitmentDirection.choices)
    kind = forms.ChoiceField(label=_("Kind"), choices=CommitmentKind.choices)
    description = forms.CharField(label=_("Description"), max_length=300)
    quantity = forms.DecimalField(
        label=_("Quantity"), max_digits=9, decimal_places=2, min_value=Decimal("0.01")
    )
    unit = forms.ChoiceField(label=_("Unit"), choices=CommitmentUnit.choices)
    period = forms.ChoiceField(label=_("Period"), choices=CommitmentPeriod.choices)
    organisation = forms.ModelChoiceField(
        label=_("Organisation"),
        queryset=Organisation.objects.none(),
        required=False,
        help_text=_("Who provides it, or where the person gives back."),
    )
    owner = forms.CharField(
        label=_("Owner"),
        max_length=200,
        required=False,
        help_text=_("Who is responsible, when not an organisation of the network."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = network_organisations()  # type: ignore[attr-defined]


class SignatoryForm(Styled):
    """One more party asked to sign: a partner organisation or a community actor."""

    kind = forms.ChoiceField(
        label=_("Who signs"),
        choices=[
            (SignatoryKind.ORGANISATION.value, SignatoryKind.ORGANISATION.label),
            (SignatoryKind.COMMUNITY.value, SignatoryKind.COMMUNITY.label),
        ],
    )
    organisation = forms.ModelChoiceField(
        label=_("Organisation"),
        queryset=Organisation.objects.none(),
        required=False,
        help_text=_("For a partner organisation: its staff sign in Legami."),
    )
    name = forms.CharField(
        label=_("Name"),
        max_length=200,
        required=False,
        help_text=_("For a community actor, who signs the paper copy."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = network_organisations()  # type: ignore[attr-defined]


class InterruptForm(Styled):
    """Why the pact is interrupted."""

    reason = forms.CharField(
        label=_("Reason for interruption"), widget=forms.Textarea(attrs={"rows": 2})
    )
