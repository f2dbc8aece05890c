"""Forms of the research app (see ../shared/ARCHITECTURE.md): the researchers' builder
(survey, section, question, opening, invitations). What they collect goes to the
services (research.services), which decide; the forms only parse."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from legami.roles import Role
from partners.forms import Styled
from partners.models import Organisation
from research.models import CONDITION_KINDS, Pathway, Question, QuestionKind

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class SurveyForm(Styled):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    anonymous = forms.BooleanField(
        label=_("Anonymous survey"),
        required=False,
        initial=True,
        help_text=_("Answers cannot be linked to the people who give them. Fixed once open."),
    )
    pathway = forms.ModelChoiceField(
        label=_("Research pathway"), queryset=Pathway.objects.none(), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["pathway"].queryset = Pathway.objects.order_by("title")  # type: ignore[attr-defined]


class SectionForm(Styled):
    title = forms.CharField(label=_("Section title"), max_length=200, required=False)


def parse_options(text: str) -> list[tuple[str, str]]:
    """``code|label`` per line (a line without ``|`` is its own code and label)."""
    options: list[tuple[str, str]] = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        code, sep, label = line.partition("|")
        code, label = code.strip(), (label.strip() if sep else code.strip())
        if not code or not label:
            raise ValidationError(
                _("Line %(line)s: write code|label."), code="bad_option", params={"line": number}
            )
        options.append((code, label))
    codes = [c for c, _label in options]
    if len(set(codes)) != len(codes):
        raise ValidationError(_("Each option needs a code of its own."), code="duplicate_option")
    return options


class QuestionForm(Styled):
    kind = forms.ChoiceField(label=_("Kind of question"), choices=QuestionKind.choices)
    code = forms.CharField(
        label=_("Code"),
        max_length=40,
        help_text=_("Short, unique in the survey: letters, digits, hyphens, underscores."),
    )
    text = forms.CharField(label=_("Question"), max_length=500)
    help = forms.CharField(label=_("Help text"), max_length=500, required=False)
    required = forms.BooleanField(label=_("Required"), required=False)
    options = forms.CharField(
        label=_("Options"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("For choice questions: one option a line, as code|label."),
    )
    show_if_question = forms.ModelChoiceField(
        label=_("Show only if the answer to"),
        queryset=Question.objects.none(),
        required=False,
        empty_label=_("(always shown)"),
    )
    show_if_values = forms.CharField(
        label=_("is one of"),
        required=False,
        help_text=_("Option codes (or points 1–5 of a scale), separated by commas."),
    )

    def __init__(self, *args: Any, survey: Any, question: Question | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        earlier = Question.objects.filter(survey=survey, kind__in=CONDITION_KINDS).order_by(
            "section__order", "section_id", "order", "pk"
        )
        if question is not None:
            earlier = earlier.exclude(pk=question.pk)
        self.fields["show_if_question"].queryset = earlier  # type: ignore[attr-defined]
        self.fields["show_if_question"].label_from_instance = (  # type: ignore[attr-defined]
            lambda q: f"{q.code} — {q.text}"
        )

    def clean_options(self) -> list[tuple[str, str]]:
        return parse_options(self.cleaned_data.get("options", ""))

    def clean_show_if_values(self) -> list[str]:
        raw = self.cleaned_data.get("show_if_values", "")
        return [v.strip() for v in raw.replace(";", ",").split(",") if v.strip()]


class OpenForm(Styled):
    closes_at = forms.DateTimeField(
        label=_("Closes at"),
        required=False,
        widget=DATETIME_WIDGET,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        help_text=_("Italian time. Leave empty to close it by hand."),
    )


class InviteForm(Styled):
    organisations = forms.ModelMultipleChoiceField(
        label=_("Organisations"),
        queryset=Organisation.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    roles = forms.MultipleChoiceField(
        label=_("Roles"),
        choices=Role.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None chosen: every role at the organisations chosen."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisations"].queryset = Organisation.objects.filter(  # type: ignore[attr-defined]
            is_active=True
        ).order_by("name")
