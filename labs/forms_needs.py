"""Forms of the needs board and of interventions. They check the shape of what is sent;
the rules (who, which lab, which moves) are the services' (``labs.services.needs``)."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from labs.models import Intervention, InterventionStatus, Lab, Need, NeedCategory, NeedStatus
from legami.models import Comune
from partners.models import Organisation

BOARD_STATUSES = (NeedStatus.NEW, NeedStatus.DISCUSSED, NeedStatus.TAKEN_UP, NeedStatus.ADDRESSED)


def _model_field(form: forms.Form, name: str) -> forms.ModelChoiceField:
    """A model-choice field of ``form``, to narrow its queryset to the case at hand."""
    return cast(forms.ModelChoiceField, form.fields[name])


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class NeedFilterForm(forms.Form):
    category = forms.ChoiceField(
        label=_("Category"),
        required=False,
        choices=[("", _("All categories")), *NeedCategory.choices],
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Open on the board")), *NeedStatus.choices],
    )


class NeedPostForm(forms.Form):
    title = forms.CharField(
        label=_("The need, in a few words"),
        max_length=200,
        help_text=_("Do not write names or details that let someone be recognised."),
    )
    description = forms.CharField(
        label=_("Tell us more"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    category = forms.ChoiceField(label=_("Category"), choices=NeedCategory.choices)
    place = forms.CharField(
        label=_("Where"),
        max_length=200,
        required=False,
        help_text=_("A street, a square, a neighbourhood (optional)."),
    )
    comune = forms.ModelChoiceField(
        label=_("Comune"), queryset=Comune.objects.none(), required=False
    )

    def __init__(self, *args: Any, lab: Lab, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _model_field(self, "comune").queryset = lab.comuni.order_by("name")


class NeedStatusForm(forms.Form):
    to = forms.ChoiceField(label=_("Move to"), choices=[(s.value, s.label) for s in BOARD_STATUSES])


class NeedMergeForm(forms.Form):
    into = forms.ModelChoiceField(
        label=_("Merge into"),
        queryset=Need.objects.none(),
        help_text=_("Its supporters will support the need you choose."),
    )

    def __init__(self, *args: Any, need: Need, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from labs.services.needs import merge_targets

        _model_field(self, "into").queryset = merge_targets(need)


class NeedReferForm(forms.Form):
    organisation = forms.ModelChoiceField(
        label=_("Social service"),
        queryset=Organisation.objects.none(),
        help_text=_("An organisation of the network that serves the lab's ambito."),
    )
    consent_given_on = forms.DateField(
        label=_("The person gave their consent on"),
        widget=DateInput(),
        help_text=_(
            "Pass a need on only if the person it concerns agreed to be contacted by the service."
        ),
    )

    def __init__(self, *args: Any, lab: Lab, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _model_field(self, "organisation").queryset = Organisation.objects.filter(
            is_active=True, ambiti=lab.ambito_id
        ).order_by("name")


class InterventionForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    owner = forms.ModelChoiceField(
        label=_("Owner organisation"), queryset=Organisation.objects.none()
    )
    plan = forms.CharField(label=_("Plan"), widget=forms.Textarea(attrs={"rows": 5}))
    start_date = forms.DateField(label=_("Start date"), required=False, widget=DateInput())
    end_date = forms.DateField(label=_("End date"), required=False, widget=DateInput())
    status = forms.ChoiceField(
        label=_("Status"), choices=InterventionStatus.choices, initial=InterventionStatus.DESIGNED
    )
    needs = forms.ModelMultipleChoiceField(
        label=_("Needs answered"),
        queryset=Need.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("A need answered moves to “taken up” if it was not there yet."),
    )

    def __init__(self, *args: Any, lab: Lab, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _model_field(self, "owner").queryset = Organisation.objects.filter(is_active=True).order_by(
            "name"
        )
        _model_field(self, "needs").queryset = lab.needs.exclude(status=NeedStatus.MERGED).order_by(
            "-votes_count", "-created_at"
        )

    @staticmethod
    def initial_for(intervention: Intervention) -> dict[str, Any]:
        return {
            "title": intervention.title,
            "owner": intervention.owner_id,
            "plan": intervention.plan,
            "start_date": intervention.start_date,
            "end_date": intervention.end_date,
            "status": intervention.status,
            "needs": [n.pk for n in intervention.needs.all()],
        }
