"""Forms of the core."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from legami.models import AccessEvent


def add_service_errors(
    form: forms.BaseForm, exc: ValidationError, rename: dict[str, str] | None = None
) -> None:
    """Show a service's refusal on the form, under the field it names if the form has
    it (``rename`` maps a service's field name to the form's), else above the form."""
    rename = rename or {}
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for name, errors in exc.error_dict.items():
        field = rename.get(name, name)
        form.add_error(field if field in form.fields else None, errors)


class AccessLogFilterForm(forms.Form):
    """Filters of the access log; every field optional."""

    actor = forms.CharField(label=_("Who (e-mail)"), required=False, max_length=254)
    action = forms.ChoiceField(
        label=_("Action"),
        required=False,
        choices=[("", _("any"))] + list(AccessEvent.Action.choices),
    )
    target_type = forms.CharField(label=_("Record type"), required=False, max_length=100)
    target_id = forms.CharField(label=_("Record id"), required=False, max_length=64)
    subject_user = forms.IntegerField(label=_("Person (user id)"), required=False, min_value=1)
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            raise forms.ValidationError(_("The start date comes after the end date."))
        return data
