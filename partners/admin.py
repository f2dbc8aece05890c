"""Admin of the partners app: the network's organisations, the people acting for them, and
the invitations sent.

The admin asks the access policy like every other page (what a person sees, adds and
changes here is what ``legami.policy`` allows them; being a superuser adds nothing), and
saves through the services, so that admin changes reach the audit trail too. Nothing is
deleted here: organisations are deactivated, memberships ended, invitations revoked.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import ManyToManyField, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from legami.admin_policy import PolicyAdminMixin
from legami.policy import Action, allowed
from partners import services
from partners.forms import formfield_https
from partners.models import Invitation, Membership, Organisation
from partners.validators import normalize_tax_code


def _report(
    modeladmin: admin.ModelAdmin[Any], request: HttpRequest, done: int, problems: list[str]
) -> None:
    if done:
        modeladmin.message_user(
            request,
            ngettext("%(count)d record changed.", "%(count)d records changed.", done)
            % {"count": done},
            messages.SUCCESS,
        )
    for problem in problems:
        modeladmin.message_user(request, problem, messages.WARNING)


# --- Organisations ---------------------------------------------------------------------------


class OrganisationAdminForm(forms.ModelForm):
    class Meta:
        model = Organisation
        fields = (*services.ORGANISATION_FIELDS, "ambiti")
        formfield_callback = formfield_https

    def clean_tax_code(self) -> str:
        return normalize_tax_code(self.cleaned_data.get("tax_code") or "")


class MembershipInline(PolicyAdminMixin, admin.TabularInline):
    """The people of the organisation, as the policy shows them; they are added and
    ended from the memberships' own pages."""

    model = Membership
    fields = ("user", "role", "is_referent", "start_date", "end_date")
    readonly_fields = fields
    extra = 0
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Membership]:
        return super().get_queryset(request).select_related("user", "organisation")


@admin.register(Organisation)
class OrganisationAdmin(PolicyAdminMixin, admin.ModelAdmin):
    form = OrganisationAdminForm
    list_display = ("name", "kind", "ambiti_served", "is_funder", "is_active")
    list_filter = ("kind", "ambiti", "is_funder", "is_active")
    search_fields = ("name", "slug", "tax_code", "email")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("is_active",)
    inlines = (MembershipInline,)
    actions = ("deactivate_selected", "reactivate_selected")
    formfield_overrides: ClassVar = {models.URLField: {"assume_scheme": "https"}}
    fieldsets = (
        (None, {"fields": ("name", "slug", "kind", "ambiti", "is_funder", "is_active")}),
        (_("Contacts"), {"fields": ("tax_code", "address", "email", "phone", "website")}),
        (None, {"fields": ("member_since",)}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Organisation]:
        return super().get_queryset(request).prefetch_related("ambiti")

    def formfield_for_manytomany(
        self, db_field: ManyToManyField[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> forms.ModelMultipleChoiceField | None:
        if db_field.name == "ambiti":
            kwargs["widget"] = forms.CheckboxSelectMultiple
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    @admin.display(description=_("ambiti served"))
    def ambiti_served(self, obj: Organisation) -> str:
        return ", ".join(a.name for a in obj.ambiti.all())

    def save_model(
        self, request: HttpRequest, obj: Organisation, form: forms.ModelForm, change: bool
    ) -> None:
        data = {
            name: form.cleaned_data[name]
            for name in (*services.ORGANISATION_FIELDS, "ambiti")
            if name in form.cleaned_data
        }
        if change:
            saved = services.organisation_update(
                organisation=obj,
                actor=request.user,  # type: ignore[arg-type]
                data=data,
            )
        else:
            saved = services.organisation_create(actor=request.user, **data)  # type: ignore[arg-type]
        obj.pk = saved.pk
        obj._state.adding = False
        obj._state.db = saved._state.db

    def save_related(
        self, request: HttpRequest, form: forms.ModelForm, formsets: Any, change: bool
    ) -> None:
        # The service has saved the ambiti (no form.save_m2m()); the inline is read-only,
        # so saving its formset changes nothing.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def _set_active(
        self, request: HttpRequest, queryset: QuerySet[Organisation], *, active: bool
    ) -> None:
        service = services.organisation_reactivate if active else services.organisation_deactivate
        done, problems = 0, []
        for organisation in queryset:
            try:
                service(organisation=organisation, actor=request.user)  # type: ignore[arg-type]
            except ValidationError as exc:
                problems.extend(exc.messages)
            else:
                done += 1
        _report(self, request, done, problems)

    @admin.action(description=_("Deactivate the selected organisations"), permissions=["change"])
    def deactivate_selected(self, request: HttpRequest, queryset: QuerySet[Organisation]) -> None:
        self._set_active(request, queryset, active=False)

    @admin.action(description=_("Reactivate the selected organisations"), permissions=["change"])
    def reactivate_selected(self, request: HttpRequest, queryset: QuerySet[Organisation]) -> None:
        self._set_active(request, queryset, active=True)


# --- Memberships -----------------------------------------------------------------------------


class MembershipAdminForm(forms.ModelForm):
    """Input of the admin's membership pages; the services check the rest (here, before
    saving, so that a refusal is shown on the form)."""

    actor: Any = None

    class Meta:
        model = Membership
        fields = ("user", "organisation", "role", "start_date", "end_date", "is_referent")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.instance.pk is None:
            self._check_new(data)
        else:
            self._check_change(data)
        return data

    def _check_new(self, data: dict[str, Any]) -> None:
        needed = ("user", "organisation", "role", "start_date")
        if any(data.get(name) in (None, "") for name in needed):
            return  # the fields' own errors are shown
        candidate = Membership(**{name: data[name] for name in needed})
        if not allowed(self.actor, Action.CREATE, candidate):
            raise ValidationError(
                _("You may not give this role at this organisation."), code="not_allowed"
            )
        services.membership_validate_new(
            user=data["user"],
            organisation=data["organisation"],
            role=data["role"],
            start_date=data["start_date"],
            end_date=data.get("end_date"),
        )

    def _check_change(self, data: dict[str, Any]) -> None:
        services.membership_validate_update(
            membership=self.instance,
            data={k: data[k] for k in services.MEMBERSHIP_UPDATABLE if k in data},
        )


@admin.register(Membership)
class MembershipAdmin(PolicyAdminMixin, admin.ModelAdmin):
    form = MembershipAdminForm
    audit_reads = True
    audit_purpose = "admin: membership"

    def audit_subject(self, obj: Membership) -> Any:
        return obj.user

    list_display = ("user", "organisation", "role", "is_referent", "start_date", "end_date")
    list_filter = ("role", "is_referent", "organisation__kind", "organisation")
    list_select_related = ("user", "organisation")
    search_fields = ("user__email", "user__first_name", "user__last_name", "organisation__name")
    autocomplete_fields = ("user", "organisation")
    date_hierarchy = "start_date"
    ordering = ("organisation__name", "role", "user__email")
    fields = ("user", "organisation", "role", "start_date", "end_date", "is_referent")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # Who, where, in which role and since when do not change: end and add another.
        return ("user", "organisation", "role", "start_date") if obj is not None else ()

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change, **kwargs)
        form.actor = request.user  # type: ignore[attr-defined]
        return form

    def save_model(
        self, request: HttpRequest, obj: Membership, form: forms.ModelForm, change: bool
    ) -> None:
        data = form.cleaned_data
        try:
            if change:
                saved = services.membership_update(
                    membership=obj,
                    actor=request.user,  # type: ignore[arg-type]
                    data={
                        k: data[k] for k in form.changed_data if k in services.MEMBERSHIP_UPDATABLE
                    },
                )
            else:
                saved = services.membership_create(
                    user=data["user"],
                    organisation=data["organisation"],
                    role=data["role"],
                    start_date=data["start_date"],
                    end_date=data.get("end_date"),
                    is_referent=data.get("is_referent", False),
                    actor=request.user,  # type: ignore[arg-type]
                )
        except ValidationError as exc:  # checked on the form; only a race gets here
            raise PermissionDenied(" ".join(exc.messages)) from exc
        obj.pk = saved.pk
        obj._state.adding = False
        obj._state.db = saved._state.db


# --- Invitations -----------------------------------------------------------------------------


@admin.register(Invitation)
class InvitationAdmin(PolicyAdminMixin, admin.ModelAdmin):
    """Read-only: invitations are sent from the organisation's members page or the API;
    here they can only be revoked."""

    list_display = ("email", "organisation", "role", "is_referent", "status_label", "expires_at")
    list_filter = ("role", "organisation")
    list_select_related = ("organisation",)
    search_fields = ("email", "organisation__name")
    date_hierarchy = "created_at"
    actions = ("revoke_selected",)
    fields = (
        "organisation",
        "email",
        "role",
        "is_referent",
        "status_label",
        "invited_by",
        "created_at",
        "expires_at",
        "sent_at",
        "accepted_at",
        "accepted_by",
        "revoked_at",
        "revoked_by",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return allowed(request.user, Action.DELETE, Invitation)

    @admin.display(description=_("status"))
    def status_label(self, obj: Invitation) -> str:
        return obj.get_status_display()

    @admin.action(description=_("Revoke the selected invitations"), permissions=["revoke"])
    def revoke_selected(self, request: HttpRequest, queryset: QuerySet[Invitation]) -> None:
        done, problems = 0, []
        for invitation in queryset:
            try:
                services.invitation_revoke(invitation=invitation, actor=request.user)  # type: ignore[arg-type]
            except ValidationError as exc:
                problems.append(f"{invitation.email}: {' '.join(exc.messages)}")
            except PermissionDenied:
                problems.append(
                    gettext("%(email)s: you may not revoke this invitation.")
                    % {"email": invitation.email}
                )
            else:
                done += 1
        _report(self, request, done, problems)
