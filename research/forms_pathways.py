"""Forms of the research pathways' pages (research/views/pathways.py): the pathway, a
phase, a workshop or training session. They only parse: research.services.pathways
decides (dates, the lead, the host ambito)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from legami.models import Ambito, User
from partners.forms import Styled
from partners.models import Membership, Organisation
from research.forms import DATETIME_WIDGET
from research.models import WorkshopKind

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]


def _current_memberships() -> Q:
    """Memberships under way today, at an active organisation (reached from a user)."""
    today = timezone.localdate()
    return (
        Q(memberships__start_date__lte=today)
        & (Q(memberships__end_date__isnull=True) | Q(memberships__end_date__gte=today))
        & Q(memberships__organisation__is_active=True)
    )


class PractitionerField(forms.ModelMultipleChoiceField):
    """People with a current membership, shown with their name and organisations."""

    def label_from_instance(self, obj: Any) -> str:
        name = obj.get_full_name() or obj.email
        orgs = sorted({m.organisation.name for m in getattr(obj, "current_memberships", [])})
        return f"{name} ({', '.join(orgs)})" if orgs else name


class PathwayForm(Styled):
    title = forms.CharField(label=_("Title"), max_length=200)
    theme = forms.CharField(label=_("Theme"), max_length=200, required=False)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    ambito = forms.ModelChoiceField(
        label=_("Host ambito"),
        queryset=Ambito.objects.none(),
        required=False,
        help_text=_("The ambito that hosts the pathway's workshops: needed to plan them."),
    )
    organisations = forms.ModelMultipleChoiceField(
        label=_("Participating organisations"),
        queryset=Organisation.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    practitioners = PractitionerField(
        label=_("Participating practitioners"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("People working at an organisation of the network."),
    )
    starts_on = forms.DateField(
        label=_("Starts on"), required=False, widget=DATE_WIDGET, input_formats=DATE_FORMATS
    )
    ends_on = forms.DateField(
        label=_("Ends on"), required=False, widget=DATE_WIDGET, input_formats=DATE_FORMATS
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["ambito"].queryset = Ambito.objects.order_by("name")  # type: ignore[attr-defined]
        self.fields["organisations"].queryset = Organisation.objects.filter(  # type: ignore[attr-defined]
            is_active=True
        ).order_by("name")
        current = (
            Membership.objects.filter(start_date__lte=today, organisation__is_active=True)
            .exclude(end_date__lt=today)
            .select_related("organisation")
        )
        self.fields["practitioners"].queryset = (  # type: ignore[attr-defined]
            User.objects.filter(_current_memberships(), is_active=True)
            .distinct()
            .prefetch_related(Prefetch("memberships", current, to_attr="current_memberships"))
            .order_by("last_name", "first_name", "email")
        )


class PhaseForm(Styled):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    starts_on = forms.DateField(
        label=_("Starts on"), widget=DATE_WIDGET, input_formats=DATE_FORMATS
    )
    ends_on = forms.DateField(label=_("Ends on"), widget=DATE_WIDGET, input_formats=DATE_FORMATS)


class DeleteForm(Styled):
    """A confirmation: deleting takes a POST of this form."""

    confirm = forms.BooleanField(label=_("Yes, delete it"), required=True)


class WorkshopForm(Styled):
    kind = forms.ChoiceField(
        label=_("Kind"), choices=WorkshopKind.choices, initial=WorkshopKind.WORKSHOP
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    starts_at = forms.DateTimeField(
        label=_("Starts at"),
        widget=DATETIME_WIDGET,
        input_formats=DATETIME_FORMATS,
        help_text=_("Italian time."),
    )
    ends_at = forms.DateTimeField(
        label=_("Ends at"),
        widget=DATETIME_WIDGET,
        input_formats=DATETIME_FORMATS,
        help_text=_("Italian time."),
    )
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    address = forms.CharField(label=_("Address"), max_length=250, required=False)
    online_url = forms.URLField(
        label=_("Online link"),
        required=False,
        assume_scheme="https",
        help_text=_("Give a place, an online link, or both."),
    )
    capacity = forms.IntegerField(
        label=_("Seats"),
        min_value=0,
        initial=0,
        required=False,
        help_text=_("0: no limit."),
    )
    agenda = forms.CharField(
        label=_("Agenda"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    registration_closes_at = forms.DateTimeField(
        label=_("Sign-ups close at"),
        required=False,
        widget=DATETIME_WIDGET,
        input_formats=DATETIME_FORMATS,
        help_text=_("Italian time. Leave empty to take sign-ups until the start."),
    )

    def clean_capacity(self) -> int:
        return self.cleaned_data.get("capacity") or 0
