"""Forms of the findings library (research/views/library.py): the search form of the
list, and the form of an item. They only parse: the services (research.services.findings)
decide, and say no with errors under the fields they concern."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from legami.policy import Action, visible_to
from partners.forms import Styled
from research.models import Finding, FindingKind, Pathway, Theme, Workshop


class LibraryFilterForm(Styled):
    """The search and filters of the list. A value that is not one of the choices is an
    error (the page answers 400 and says which), not silently ignored."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    theme = forms.TypedChoiceField(
        label=_("Theme"),
        required=False,
        coerce=int,
        empty_value=None,
        error_messages={"invalid_choice": _("“%(value)s” is not a theme of the library.")},
    )
    pathway = forms.TypedChoiceField(
        label=_("Pathway"),
        required=False,
        coerce=int,
        empty_value=None,
        error_messages={"invalid_choice": _("“%(value)s” is not a pathway you can see.")},
    )
    kind = forms.ChoiceField(
        label=_("Kind"),
        required=False,
        error_messages={"invalid_choice": _("“%(value)s” is not a kind of library item.")},
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["theme"].choices = [  # type: ignore[attr-defined]
            ("", _("All themes")),
            *Theme.objects.values_list("pk", "name"),
        ]
        self.fields["pathway"].choices = [  # type: ignore[attr-defined]
            ("", _("All pathways")),
            *visible_to(user, Pathway, Action.LIST).order_by("title").values_list("pk", "title"),
        ]
        self.fields["kind"].choices = [("", _("All kinds")), *FindingKind.choices]  # type: ignore[attr-defined]
        self.fields["q"].widget.attrs.update({"type": "search", "autocomplete": "off"})


class WorkshopChoiceField(forms.ModelChoiceField):
    # A workshop's key is its meeting's (a one-to-one key), which Django does not guard
    # against numbers beyond the database's integers: SQLite fails on them (a 500).
    LARGEST_KEY = 2**63 - 1

    def to_python(self, value: Any) -> Any:
        if value not in self.empty_values:
            try:
                too_large = abs(int(str(value))) > self.LARGEST_KEY
            except ValueError:
                too_large = False
            if too_large:
                raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.pathway.title} — {obj.meeting.title} ({obj.meeting.starts_at:%d/%m/%Y})"


class FindingForm(Styled):
    """An item of the library. Pathways offered: those the person leads (only a pathway's
    lead files items under it); workshops: those of these pathways."""

    kind = forms.ChoiceField(label=_("Kind"), choices=FindingKind.choices)
    title = forms.CharField(label=_("Title"), max_length=250)
    summary = forms.CharField(
        label=_("Summary"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    body = forms.CharField(
        label=_("Text"), required=False, widget=forms.Textarea(attrs={"rows": 10})
    )
    themes = forms.CharField(
        label=_("Themes"),
        required=False,
        max_length=1000,
        help_text=_('Separated by commas, e.g. "loneliness, working poor".'),
    )
    pathway = forms.ModelChoiceField(
        label=_("Pathway"),
        queryset=Pathway.objects.none(),
        required=False,
        help_text=_("Only the pathways you lead."),
    )
    workshop = WorkshopChoiceField(
        label=_("Workshop"),
        queryset=Workshop.objects.none(),
        required=False,
        help_text=_("For a workshop's material: the workshop it comes from."),
    )
    link = forms.URLField(label=_("Link"), required=False, assume_scheme="https", max_length=200)
    file = forms.FileField(
        label=_("File"),
        required=False,
        widget=forms.FileInput,
        help_text=_("PDF, PNG, JPEG or an office document, up to 20 MB."),
    )
    remove_file = forms.BooleanField(label=_("Remove the file"), required=False)

    def __init__(self, *args: Any, user: Any, finding: Finding | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        led = visible_to(user, Pathway, Action.CHANGE)
        pathways = Pathway.objects.filter(pk__in=led.values("pk"))
        if finding is not None and finding.pathway_id:
            # The item's own pathway is shown even when led by another person (the
            # service then decides whether this person may keep the item under it).
            pathways = pathways | Pathway.objects.filter(pk=finding.pathway_id)
        self.fields["pathway"].queryset = pathways.order_by("title")  # type: ignore[attr-defined]
        self.fields["workshop"].queryset = (  # type: ignore[attr-defined]
            Workshop.objects.filter(pathway__in=pathways.values("pk"))
            .select_related("pathway", "meeting")
            .order_by("pathway__title", "meeting__starts_at")
        )
        if finding is None or not finding.file:
            del self.fields["remove_file"]
