"""Forms of the partners app: they parse input; the services decide and change."""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from legami.models import Ambito
from legami.roles import Role
from partners.models import Organisation, OrganisationKind
from partners.services import ORGANISATION_FIELDS
from partners.validators import normalize_tax_code

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class StyledFormMixin:
    """Give each widget the Bootstrap Italia class it needs."""

    fields: dict[str, forms.Field]

    def _style(self) -> None:
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect):
                continue
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs.setdefault("class", css)


class StyledBoundField(forms.BoundField):
    """A field that shows it is in error the Bootstrap Italia way (``is-invalid``), on top
    of the ``aria-invalid`` and ``aria-describedby`` (its ``<id>_error``) Django adds."""

    def build_widget_attrs(self, attrs: dict[str, Any], widget: Any = None) -> dict[str, Any]:
        attrs = super().build_widget_attrs(attrs, widget)
        if self.errors:
            widget = widget or self.field.widget
            css = attrs.get("class", widget.attrs.get("class", ""))
            attrs["class"] = f"{css} is-invalid".strip()
        return attrs


class Styled(StyledFormMixin, forms.Form):
    """A form of Legami's pages: Bootstrap Italia classes, errors shown on the fields.
    The case file, the pacts and the labs build their forms on it."""

    bound_field_class = StyledBoundField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()


def formfield_https(field: models.Field[Any, Any], **kwargs: Any) -> forms.Field | None:
    if isinstance(field, models.URLField):
        kwargs["assume_scheme"] = "https"
    return field.formfield(**kwargs)


class OrganisationForm(StyledFormMixin, forms.ModelForm):
    """The details of an organisation, as a network administrator enters them."""

    class Meta:
        model = Organisation
        fields = (*ORGANISATION_FIELDS, "ambiti")
        formfield_callback = formfield_https
        widgets: ClassVar[dict[str, Any]] = {
            "ambiti": forms.CheckboxSelectMultiple,
            "member_since": DATE_WIDGET,
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["ambiti"].queryset = Ambito.objects.filter(is_active=True).order_by("name")  # type: ignore[attr-defined]
        self.fields["slug"].required = False
        self.fields["slug"].help_text = _(
            "Used in the address of the organisation's page; made from the name if left empty."
        )
        self._style()

    def clean_tax_code(self) -> str:
        return normalize_tax_code(self.cleaned_data.get("tax_code") or "")


class OrganisationFilterForm(StyledFormMixin, forms.Form):
    """The filters of the public list of organisations."""

    kind = forms.ChoiceField(
        label=_("Kind"),
        required=False,
        choices=[("", _("All kinds")), *OrganisationKind.choices],
    )
    ambito = forms.ModelChoiceField(
        label=_("Ambito"),
        required=False,
        queryset=Ambito.objects.filter(is_active=True).order_by("name"),
        to_field_name="code",
        empty_label=_("All ambiti"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()


class InvitationForm(StyledFormMixin, forms.Form):
    """Invite someone to act for an organisation: the roles offered are those the policy
    lets the inviting person grant there."""

    email = forms.EmailField(label=_("E-mail address"))
    role = forms.ChoiceField(label=_("Role"))
    is_referent = forms.BooleanField(
        label=_("Referent of the organisation"),
        required=False,
        help_text=_("A referent invites people to the organisation and manages their roles."),
    )

    def __init__(self, *args: Any, roles: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = dict(Role.choices)
        self.fields["role"].choices = [(role, labels[role]) for role in roles]  # type: ignore[attr-defined]
        self._style()


class MembershipEndForm(StyledFormMixin, forms.Form):
    end_date = forms.DateField(label=_("Last day"), widget=DATE_WIDGET)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"end_date": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self._style()
