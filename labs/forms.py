"""Forms of the labs app (see ../shared/ARCHITECTURE.md)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from labs.models import Lab
from legami.models import Comune

# --- The public pages: the meeting list's filters and the guests' sign-up -------------------


class MeetingFilterForm(forms.Form):
    """The filters of the upcoming meetings (in the address: ``?comune=<id>&lab=<slug>``).
    The choices are the comuni and labs the person may see."""

    comune = forms.ModelChoiceField(
        label=_("Municipality"),
        queryset=Comune.objects.none(),
        required=False,
        empty_label=_("All municipalities"),
    )
    lab = forms.ModelChoiceField(
        label=_("Lab"),
        queryset=Lab.objects.none(),
        to_field_name="slug",
        required=False,
        empty_label=_("All labs"),
    )

    def __init__(
        self, *args: Any, comuni: QuerySet[Comune], labs: QuerySet[Lab], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["comune"].queryset = comuni  # type: ignore[attr-defined]
        self.fields["lab"].queryset = labs  # type: ignore[attr-defined]


class GuestSignUpForm(forms.Form):
    """A visitor without an account signs up with a name and an address they will
    confirm, after reading the privacy notice."""

    name = forms.CharField(
        label=_("Your name"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label=_("Your e-mail address"),
        help_text=_("We will send you a link to confirm your sign-up."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    consent = forms.BooleanField(
        label=_(
            "I have read the privacy notice and agree that my name and address are used "
            "to manage my sign-up for this meeting."
        ),
        error_messages={"required": _("Please agree to the privacy notice to sign up.")},
    )
