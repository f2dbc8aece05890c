"""Forms of the facilitators' pages: a lab, a meeting, cancelling it, attendance by code,
and the minutes with the needs raised. They parse what was typed; the services in
``labs.services.meetings`` decide and change.

Times are typed and shown in Europe/Rome, whatever time zone is active: the meeting
happens in the province of Cremona."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from labs.models import LabContext, LabStatus, NeedCategory
from labs.services.meetings import NEED_TITLE_MAX, ROME
from legami.models import Ambito, Comune, User
from legami.roles import Role
from partners.forms import Styled
from partners.models import Organisation

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class RomeDateTimeField(forms.DateTimeField):
    """A date and time typed in Rome's local time (``datetime-local``), stored aware."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget",
            forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT),
        )
        kwargs.setdefault("input_formats", [DATETIME_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"])
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> dt.datetime | None:
        with timezone.override(ROME):
            return super().to_python(value)

    def prepare_value(self, value: Any) -> Any:
        with timezone.override(ROME):
            return super().prepare_value(value)


def facilitator_users() -> QuerySet[User]:
    """The people who hold the lab facilitator role today."""
    today = timezone.localdate()
    return (
        User.objects.filter(
            memberships__role=Role.FACILITATOR,
            memberships__start_date__lte=today,
            memberships__organisation__is_active=True,
            is_active=True,
        )
        .exclude(memberships__end_date__lt=today)
        .distinct()
        .order_by("last_name", "first_name", "email")
    )


def active_organisations() -> QuerySet[Organisation]:
    return Organisation.objects.filter(is_active=True).order_by("name")


class FacilitatorChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        name = obj.get_full_name()
        return f"{name} ({obj.email})" if name else str(obj.email)


class LabForm(Styled):
    """A lab: what it is called, where it works, who runs it and who takes part."""

    title = forms.CharField(label=_("Title"), max_length=200)
    slug = forms.SlugField(
        label=_("Short name"),
        max_length=80,
        help_text=_("Used in the address of the lab's page: lower-case letters, digits, hyphens."),
    )
    # Practitioners' labs are made by research pathways (research.services.pathways).
    context = forms.ChoiceField(
        label=_("Context"),
        choices=[c for c in LabContext.choices if c[0] != LabContext.PRACTITIONERS],
    )
    status = forms.ChoiceField(label=_("Status"), choices=LabStatus.choices)
    ambito = forms.ModelChoiceField(label=_("Ambito"), queryset=Ambito.objects.none())
    comuni = forms.ModelMultipleChoiceField(
        label=_("Municipalities"),
        queryset=Comune.objects.none(),
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("The municipalities of the ambito where the lab works."),
    )
    facilitators = FacilitatorChoiceField(
        label=_("Facilitators"),
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    organisations = forms.ModelMultipleChoiceField(
        label=_("Partner organisations"),
        queryset=Organisation.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args: Any, ambiti: QuerySet[Ambito], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["ambito"].queryset = ambiti  # type: ignore[attr-defined]
        self.fields["comuni"].queryset = Comune.objects.select_related("ambito").order_by("name")  # type: ignore[attr-defined]
        self.fields["facilitators"].queryset = facilitator_users()  # type: ignore[attr-defined]
        self.fields["organisations"].queryset = active_organisations()  # type: ignore[attr-defined]


class MeetingForm(Styled):
    """A meeting: when, where (a place, a link or both), seats and the sign-up window."""

    title = forms.CharField(label=_("Title"), max_length=200)
    starts_at = RomeDateTimeField(label=_("Starts"))
    ends_at = RomeDateTimeField(label=_("Ends"))
    place = forms.CharField(
        label=_("Place"),
        max_length=200,
        required=False,
        help_text=_("E.g. Casa del quartiere. Leave empty for an online meeting."),
    )
    address = forms.CharField(label=_("Address"), max_length=250, required=False)
    comune = forms.ModelChoiceField(
        label=_("Municipality"), queryset=Comune.objects.none(), required=False
    )
    online_url = forms.URLField(
        label=_("Online link"), required=False, assume_scheme="https", max_length=200
    )
    accessibility = forms.CharField(
        label=_("Accessibility"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Step-free access, hearing loop, toilets, parking, how to get there…"),
    )
    capacity = forms.IntegerField(
        label=_("Capacity"), min_value=0, initial=0, help_text=_("0 means no limit.")
    )
    reserved_seats = forms.IntegerField(
        label=_("Seats reserved by the facilitators"), min_value=0, initial=0
    )
    registration_opens_at = RomeDateTimeField(label=_("Sign-ups open"), required=False)
    registration_closes_at = RomeDateTimeField(label=_("Sign-ups close"), required=False)
    agenda = forms.CharField(
        label=_("Agenda"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["comune"].queryset = Comune.objects.order_by("name")  # type: ignore[attr-defined]


class CancelForm(Styled):
    reason = forms.CharField(
        label=_("Reason (kept in the history)"), max_length=500, required=False
    )


class AttendanceCodeForm(Styled):
    code = forms.CharField(
        label=_("Code at the door"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "inputmode": "text"}
        ),
    )


class AttendanceToggleForm(forms.Form):
    registration = forms.IntegerField(min_value=1)
    attended = forms.TypedChoiceField(choices=[("1", "1"), ("0", "0")], coerce=lambda v: v == "1")


class CloseForm(Styled):
    """The minutes: what was said and done, who was there."""

    summary = forms.CharField(
        label=_("Summary"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("What was discussed and decided, and what happens next."),
    )
    organisations_present = forms.ModelMultipleChoiceField(
        label=_("Organisations present"),
        queryset=Organisation.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, organisations: QuerySet[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisations_present"].queryset = organisations  # type: ignore[attr-defined]


class NeedRowForm(Styled):
    """A need raised at the meeting, posted on the lab's board when the minutes are saved."""

    title = forms.CharField(label=_("Need raised"), max_length=NEED_TITLE_MAX, required=False)
    category = forms.ChoiceField(
        label=_("Category"), choices=[("", "—"), *NeedCategory.choices], required=False
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("title") and not data.get("category"):
            self.add_error("category", _("Choose the category of this need."))
        if data.get("category") and not data.get("title"):
            self.add_error("title", _("Say what the need is."))
        return data


NeedRowFormSet = forms.formset_factory(NeedRowForm, extra=3, max_num=30, validate_max=True)
