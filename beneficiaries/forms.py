"""Forms of the case file: they parse input; the services decide and change."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.forms.models import fields_for_model
from django.utils.translation import gettext_lazy as _

from beneficiaries.models import (
    CaseAssignment,
    CaseStage,
    ClosureReason,
    ConsentKind,
    DiaryCategory,
    HouseholdRelation,
    IntakeChannel,
    NeedTag,
    Person,
    VulnerabilityArea,
)
from beneficiaries.services.persons import PERSON_FIELDS
from legami.models import Ambito, Comune, User
from legami.policy import subject_for
from legami.roles import Role
from partners.forms import DATE_WIDGET, Styled
from partners.models import Membership, Organisation


def case_workers(organisations: Any) -> QuerySet[User]:
    """The social workers and coordinators working today for ``organisations``."""
    return (
        User.objects.filter(
            memberships__organisation__in=organisations,
            memberships__role__in=[Role.OPERATOR, Role.COORDINATOR],
            memberships__end_date__isnull=True,
            is_active=True,
        )
        .distinct()
        .order_by("last_name", "first_name", "email")
    )


def own_services(user: Any) -> QuerySet[Organisation]:
    """The organisations where ``user`` is a social worker or coordinator."""
    return Organisation.objects.filter(
        pk__in=subject_for(user).orgs(Role.OPERATOR, Role.COORDINATOR)
    ).order_by("name")


class PersonFilterForm(Styled):
    """The filters of the case list: none of them identifies a person, so they may stay
    in the address bar."""

    ambito = forms.ModelChoiceField(
        label=_("Ambito"), queryset=Ambito.objects.filter(is_active=True), required=False
    )
    comune = forms.ModelChoiceField(
        label=_("Comune"), queryset=Comune.objects.filter(is_active=True), required=False
    )
    area = forms.ChoiceField(
        label=_("Area"), choices=[("", "—"), *VulnerabilityArea.choices], required=False
    )
    stage = forms.ChoiceField(
        label=_("Stage"), choices=[("", "—"), *CaseStage.choices], required=False
    )
    worker = forms.ModelChoiceField(label=_("Worker"), queryset=User.objects.none(), required=False)
    at_risk = forms.BooleanField(label=_("At risk of isolation (LSNS-6)"), required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["worker"].queryset = case_workers(own_services(user))  # type: ignore[attr-defined]


class PersonSearchForm(Styled):
    """Search by name or codice fiscale: sent by POST only, never in an address."""

    q = forms.CharField(label=_("Name, surname or codice fiscale"), max_length=100, required=False)


class PersonForm(Styled):
    """The anagrafica of a person, the areas and the needs."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields.update(
            fields_for_model(Person, fields=PERSON_FIELDS, widgets={"birth_date": DATE_WIDGET})
        )
        for name in ("birth_date", "sex", "birth_comune"):
            self.fields[name].help_text = _("Filled in from the codice fiscale if left empty.")
        self.fields["areas"] = forms.MultipleChoiceField(
            label=_("Vulnerability areas"),
            choices=VulnerabilityArea.choices,
            widget=forms.CheckboxSelectMultiple,
            required=False,
        )
        self.fields["need_tags"] = forms.ModelMultipleChoiceField(
            label=_("Needs"),
            queryset=NeedTag.objects.all(),
            widget=forms.CheckboxSelectMultiple,
            required=False,
        )
        self._style()

    def person_data(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k in PERSON_FIELDS}


class PersonCreateForm(PersonForm):
    """A new person, and the service and ambito where their case opens."""

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"] = forms.ModelChoiceField(
            label=_("Service taking charge"), queryset=own_services(user)
        )
        self.fields["ambito"] = forms.ModelChoiceField(
            label=_("Ambito"), queryset=Ambito.objects.filter(is_active=True)
        )
        self.fields["force"] = forms.BooleanField(required=False, widget=forms.HiddenInput)
        self._style()


class HouseholdMemberForm(Styled):
    relation = forms.ChoiceField(label=_("Relation"), choices=HouseholdRelation.choices)
    first_name = forms.CharField(label=_("First name"), max_length=100)
    last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
    birth_year = forms.IntegerField(
        label=_("Year of birth"), min_value=1900, max_value=2100, required=False
    )
    cohabiting = forms.BooleanField(label=_("Lives with the person"), required=False, initial=True)


class CaseOpenForm(Styled):
    """An intake and the case it opens at one of the user's services."""

    organisation = forms.ModelChoiceField(label=_("Service"), queryset=Organisation.objects.none())
    ambito = forms.ModelChoiceField(
        label=_("Ambito"), queryset=Ambito.objects.filter(is_active=True)
    )
    channel = forms.ChoiceField(label=_("Channel"), choices=IntakeChannel.choices)
    reported_by = forms.CharField(label=_("Reported by"), max_length=200, required=False)
    first_needs = forms.CharField(label=_("First needs"), widget=forms.Textarea, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = own_services(user)  # type: ignore[attr-defined]


class AssignForm(Styled):
    worker = forms.ModelChoiceField(label=_("Worker"), queryset=User.objects.none())
    kind = forms.ChoiceField(label=_("Role in the case"), choices=CaseAssignment.Kind.choices)

    def __init__(self, *args: Any, organisation: Organisation | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if organisation is not None:
            self.fields["worker"].queryset = case_workers([organisation])  # type: ignore[attr-defined]
        else:
            self.fields["worker"].queryset = case_workers(Organisation.objects.all())  # type: ignore[attr-defined]


def assign_forms(cases: list[Any]) -> dict[int, AssignForm]:
    """One assignment form per open case, with the workers of each case's service, all
    read in one query (the page costs the same for one case or ten)."""
    organisations = {case.organisation_id for case in cases}
    workers: dict[int, list[tuple[int, str]]] = {org: [] for org in organisations}
    # The same people as case_workers(), which validates the form when it is sent.
    rows = (
        Membership.objects.filter(
            organisation__in=organisations,
            role__in=[Role.OPERATOR, Role.COORDINATOR],
            end_date__isnull=True,
            user__is_active=True,
        )
        .order_by("user__last_name", "user__first_name", "user__email")
        .values_list(
            "user_id", "user__first_name", "user__last_name", "user__email", "organisation_id"
        )
    )
    for pk, first, last, email, service in rows:
        label = str(User(first_name=first, last_name=last, email=email))
        if service in workers and (pk, label) not in workers[service]:
            workers[service].append((pk, label))
    forms_by_case = {}
    for case in cases:
        form = AssignForm(prefix=f"c{case.pk}", organisation=case.organisation)
        field = cast(forms.ModelChoiceField, form.fields["worker"])
        field.choices = [("", "---------"), *workers[case.organisation_id]]
        forms_by_case[case.pk] = form
    return forms_by_case


class StageForm(Styled):
    """Move a case: to a next stage, close it (with a reason) or reopen it."""

    to_stage = forms.ChoiceField(label=_("New stage"), choices=CaseStage.choices)
    closure_reason = forms.ChoiceField(
        label=_("Closure reason"), choices=[("", "—"), *ClosureReason.choices], required=False
    )


class DiaryNoteForm(Styled):
    date = forms.DateField(label=_("Date"), widget=DATE_WIDGET, required=False)
    category = forms.ChoiceField(label=_("Kind"), choices=DiaryCategory.choices)
    text = forms.CharField(label=_("Note"), widget=forms.Textarea)
    confidential = forms.BooleanField(
        label=_("Confidential"),
        required=False,
        help_text=_("Read only by the workers assigned to the case and its coordinators."),
    )


class ReferralForm(Styled):
    to_organisation = forms.ModelChoiceField(
        label=_("To organisation"), queryset=Organisation.objects.filter(is_active=True)
    )
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea)
    consent_given_on = forms.DateField(
        label=_("Consent of the person given on"), widget=DATE_WIDGET
    )

    @classmethod
    def for_cases(
        cls, case_pks: Iterable[int], *, auto_id: Callable[[int], str]
    ) -> dict[int, ReferralForm]:
        """An empty form for each case, with ids of its own, whose organisation choices
        are read once however many cases of the person the page renders."""
        choices: list[Any] | None = None
        forms_by_case = {}
        for pk in case_pks:
            form = cls(auto_id=auto_id(pk))
            field = cast(forms.ModelChoiceField, form.fields["to_organisation"])
            if choices is None:
                choices = list(cast(Iterable[Any], field.choices))
            field.choices = choices
            forms_by_case[pk] = form
        return forms_by_case


class ReferralDecisionForm(Styled):
    decision = forms.ChoiceField(
        label=_("Decision"), choices=[("accept", _("Accept")), ("decline", _("Decline"))]
    )
    receiving_worker = forms.ModelChoiceField(
        label=_("Worker who follows the case"), queryset=User.objects.none(), required=False
    )
    decline_reason = forms.CharField(label=_("Why declined"), widget=forms.Textarea, required=False)

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["receiving_worker"].queryset = case_workers([organisation])  # type: ignore[attr-defined]


class ConsentForm(Styled):
    kind = forms.ChoiceField(label=_("Consent"), choices=ConsentKind.choices)
    given_on = forms.DateField(label=_("Given on"), widget=DATE_WIDGET, required=False)
    notice_version = forms.CharField(
        label=_("Version of the notice"), max_length=40, required=False
    )


class RestrictionForm(Styled):
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)
