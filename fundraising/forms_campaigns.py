"""Forms of the desk's campaign pages: a campaign, its images, news, matching pledges
and costs, and the list's filter. They parse what was typed; the services in
``fundraising.services.campaigns`` decide and change (their refusals come back on the
forms with ``legami.forms.add_service_errors``)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from fundraising.models import CampaignStatus
from labs.models import Intervention
from legami.models import Ambito
from legami.policy import Action, visible_to
from partners.forms import DATE_WIDGET, Styled
from partners.models import Organisation


def money_field(label: Any) -> forms.DecimalField:
    """An amount in euro and cents (the services decide what is allowed)."""
    return forms.DecimalField(label=label, max_digits=12, decimal_places=2)


class OrganisationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class InterventionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.title} ({obj.lab.title})"


def interventions_for(user: Any) -> QuerySet[Intervention]:
    """The labs' interventions a campaign may fund: those ``user`` may read."""
    return (
        visible_to(user, Intervention, Action.READ)
        .select_related("lab")
        .order_by("lab__title", "title", "pk")
    )


class CampaignForm(Styled):
    """A campaign: who collects (when it is new), its words, goal, dates, what it funds."""

    organisation = OrganisationChoiceField(
        label=_("Collecting organisation"), queryset=Organisation.objects.none()
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    slug = forms.SlugField(
        label=_("Short name"),
        max_length=80,
        help_text=_(
            "Used in the address of the campaign's page: lower-case letters, digits, hyphens."
        ),
    )
    summary = forms.CharField(label=_("Summary"), max_length=300, required=False)
    story = forms.CharField(
        label=_("Story"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Needed before publishing."),
    )
    goal = money_field(_("Goal (€)"))
    starts_on = forms.DateField(label=_("Starts on"), widget=DATE_WIDGET)
    ends_on = forms.DateField(label=_("Ends on"), widget=DATE_WIDGET)
    intervention = InterventionChoiceField(
        label=_("Lab intervention funded"),
        queryset=Intervention.objects.none(),
        required=False,
        help_text=_("Either an intervention or a fund of an ambito (or neither: the story says)."),
    )
    ambito = forms.ModelChoiceField(
        label=_("Fund of the ambito"), queryset=Ambito.objects.none(), required=False
    )

    def __init__(
        self,
        *args: Any,
        user: Any,
        organisations: QuerySet[Organisation] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if organisations is None:
            del self.fields["organisation"]
        else:
            self.fields["organisation"].queryset = organisations  # type: ignore[attr-defined]
        self.fields["intervention"].queryset = interventions_for(user)  # type: ignore[attr-defined]
        self.fields["ambito"].queryset = Ambito.objects.order_by("name")  # type: ignore[attr-defined]

    def values(self) -> dict[str, Any]:
        """The typed values as the services take them (no organisation)."""
        data = self.cleaned_data
        return {
            name: data[name]
            for name in (
                "slug",
                "title",
                "summary",
                "story",
                "goal",
                "starts_on",
                "ends_on",
                "intervention",
                "ambito",
            )
        }


class ImageForm(Styled):
    """An image for the public page with its text alternative. The file is checked by
    the service (what its bytes are, its size), not here."""

    image = forms.FileField(
        label=_("Image"),
        widget=forms.FileInput(attrs={"accept": "image/png,image/jpeg,image/webp"}),
        help_text=_("PNG, JPEG or WebP, up to 5 MB."),
    )
    alt_text = forms.CharField(
        label=_("Text alternative"),
        max_length=250,
        help_text=_("What the image shows, for people who cannot see it."),
    )


class UpdateForm(Styled):
    """News of the campaign, on its page and, when chosen, by e-mail."""

    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 8}))
    send_by_email = forms.BooleanField(
        label=_("Also send it by e-mail to the donors who agreed to hear from us"),
        required=False,
    )


class PledgeForm(Styled):
    """A funder's matching pledge."""

    funder = OrganisationChoiceField(label=_("Funder"), queryset=Organisation.objects.none())
    ratio = forms.DecimalField(
        label=_("Euro matched per euro given"),
        max_digits=5,
        decimal_places=2,
        help_text=_("1.00 doubles every gift; 0.50 adds 50 cents per euro."),
    )
    cap = money_field(_("Up to (€)"))
    only_if_target_reached = forms.BooleanField(
        label=_("Only if the goal is reached by the deadline"), required=False
    )
    deadline = forms.DateField(
        label=_("Deadline"),
        required=False,
        widget=DATE_WIDGET,
        help_text=_("Empty: the campaign's end."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["funder"].queryset = Organisation.objects.filter(  # type: ignore[attr-defined]
            is_active=True
        ).order_by("name")


class CostForm(Styled):
    """A cost of running the campaign."""

    date = forms.DateField(label=_("Date"), widget=DATE_WIDGET)
    description = forms.CharField(label=_("Description"), max_length=250)
    amount = money_field(_("Amount (€)"))


class CampaignFilterForm(Styled):
    """The list's filter: one status, or all."""

    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All")), *CampaignStatus.choices],
    )
