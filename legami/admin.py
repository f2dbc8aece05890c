"""Admin of the core: users (who log in by e-mail), ambiti and comuni.

An ambito administrator corrects the territory here: the comuni list lets them change a
comune's ambito in place, or move the selected comuni to an ambito with an action.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, ClassVar, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm
from django.contrib.auth.forms import UserChangeForm as DjangoUserChangeForm
from django.db.models import Count, ForeignKey, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from legami.admin_policy import PolicyAdminMixin
from legami.models import Ambito, Comune, User
from legami.services import (
    ambito_update,
    comune_set_ambito,
    comuni_move_to_ambito,
    user_deactivate,
    user_reactivate,
    user_update,
)
from legami.services.territory import AMBITO_FIELDS
from legami.services.users import USER_PRIVILEGE_FIELDS, USER_PROFILE_FIELDS

# Models whose admin would bypass the access policy or the account's own safeguards:
# API tokens (act as anyone), authenticators (remove someone's second factor), e-mail
# addresses (take over an account through password reset), groups (Legami has roles).
UNSAFE_ADMIN_MODELS = frozenset(
    {"authtoken.TokenProxy", "mfa.Authenticator", "account.EmailAddress", "auth.Group"}
)


def unregister_unsafe_admins(site: admin.AdminSite = admin.site) -> None:
    """Take UNSAFE_ADMIN_MODELS out of the admin. Called by the URLconf, once every app's
    admin module has registered its models (the core's runs first)."""
    for model in list(site._registry):
        if model._meta.label in UNSAFE_ADMIN_MODELS:
            site.unregister(model)


class UserCreationForm(AdminUserCreationForm):
    """The admin's "add user" form, with the e-mail address in place of a username."""

    class Meta:
        model = User
        fields = ("email",)
        field_classes: ClassVar[dict[str, type[forms.Field]]] = {}

    def clean_email(self) -> str:
        return (self.cleaned_data.get("email") or "").strip().lower()


class UserChangeForm(DjangoUserChangeForm):
    class Meta:
        model = User
        fields = "__all__"
        field_classes: ClassVar[dict[str, type[forms.Field]]] = {}

    def clean_email(self) -> str:
        return (self.cleaned_data.get("email") or "").strip().lower()


@admin.register(User)
class UserAdmin(PolicyAdminMixin, DjangoUserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "language")}),
        (
            _("Permissions"),
            {
                "fields": (
                    "is_active",
                    "is_staff",
                    "is_superuser",
                ),
            },
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "usable_password", "password1", "password2"),
            },
        ),
    )
    list_display = ("email", "first_name", "last_name", "language", "is_staff", "is_active")
    list_filter = ("is_staff", "is_superuser", "is_active", "language")
    search_fields = ("email", "first_name", "last_name")
    ordering = ("email",)
    actions = ("deactivate_users", "reactivate_users")

    audit_reads = True
    audit_purpose = "admin: user account"

    def audit_subject(self, obj: User) -> User:
        return obj

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        readonly = ["last_login", "date_joined"]
        if not request.user.is_superuser or (obj is not None and obj.pk == request.user.pk):
            readonly += list(USER_PRIVILEGE_FIELDS)
        if obj is not None and obj.pk == request.user.pk:
            readonly.append("is_active")
        return readonly

    def save_model(self, request: HttpRequest, obj: User, form: forms.Form, change: bool) -> None:
        """Saves through the services: profile changes are audited, and turning "active"
        off or on also ends the person's sessions and revokes their API tokens."""
        actor = cast(User, request.user)
        changed = set(form.changed_data)
        data = {
            name: form.cleaned_data[name]
            for name in (*USER_PROFILE_FIELDS, *USER_PRIVILEGE_FIELDS)
            if name in changed
        }
        if data:
            user_update(user=obj, actor=actor, data=data)
        if "is_active" in changed:
            service = user_deactivate if not form.cleaned_data["is_active"] else user_reactivate
            obj.is_active = service(user=obj, actor=actor).is_active

    @admin.action(
        description=_("Deactivate the selected users and end their sessions"),
        permissions=["change"],
    )
    def deactivate_users(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        users = list(queryset.filter(is_active=True))
        for user in users:
            user_deactivate(user=user, actor=cast(User, request.user))
        self.message_user(
            request,
            ngettext("%(count)d user deactivated.", "%(count)d users deactivated.", len(users))
            % {"count": len(users)},
            messages.SUCCESS,
        )

    @admin.action(description=_("Reactivate the selected users"), permissions=["change"])
    def reactivate_users(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        users = list(queryset.filter(is_active=False))
        for user in users:
            user_reactivate(user=user, actor=cast(User, request.user))
        self.message_user(
            request,
            ngettext("%(count)d user reactivated.", "%(count)d users reactivated.", len(users))
            % {"count": len(users)},
            messages.SUCCESS,
        )


@admin.register(Ambito)
class AmbitoAdmin(PolicyAdminMixin, admin.ModelAdmin):
    list_display = ("name", "code", "managing_body", "comuni_count", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "code", "managing_body")
    readonly_fields = ("code",)

    def save_model(self, request: HttpRequest, obj: Ambito, form: forms.Form, change: bool) -> None:
        data = {
            name: form.cleaned_data[name] for name in AMBITO_FIELDS if name in form.changed_data
        }
        ambito_update(ambito=obj, actor=cast(User, request.user), data=data)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Ambito]:
        return super().get_queryset(request).annotate(_comuni_count=Count("comuni"))

    @admin.display(description=_("comuni"), ordering="_comuni_count")
    def comuni_count(self, obj: Ambito) -> int:
        return obj._comuni_count  # type: ignore[attr-defined]


def _move_to_ambito_action(ambito: Ambito | None) -> Callable[..., Any]:
    def action(modeladmin: ComuneAdmin, request: HttpRequest, queryset: QuerySet[Comune]) -> None:
        moved = comuni_move_to_ambito(comuni=queryset, ambito=ambito, actor=request.user)
        target = ambito.name if ambito else gettext("no ambito")
        modeladmin.message_user(
            request,
            ngettext(
                "%(count)d comune moved to %(ambito)s.",
                "%(count)d comuni moved to %(ambito)s.",
                moved,
            )
            % {"count": moved, "ambito": target},
            messages.SUCCESS,
        )

    return action


@admin.register(Comune)
class ComuneAdmin(PolicyAdminMixin, admin.ModelAdmin):
    list_display = ("name", "province", "istat_code", "belfiore_code", "ambito", "is_active")
    list_display_links = ("name",)
    list_editable = ("ambito",)
    list_filter = ("ambito", "province", "is_active")
    list_select_related = ("ambito",)
    list_per_page = 150
    search_fields = ("name", "istat_code", "belfiore_code")
    ordering = ("name",)
    # Names and codes come from the imports; here only the ambito is corrected.
    readonly_fields = ("name", "province", "istat_code", "belfiore_code", "is_active")

    def save_model(self, request: HttpRequest, obj: Comune, form: forms.Form, change: bool) -> None:
        comune_set_ambito(comune=obj, ambito=form.cleaned_data.get("ambito"), actor=request.user)

    def formfield_for_foreignkey(
        self, db_field: ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> forms.ModelChoiceField | None:
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if formfield is not None and db_field.name == "ambito":
            # Evaluate the ambiti once: every row of the editable list copies this field,
            # and each copy would otherwise query the ambiti again.
            formfield.choices = list(cast(Iterable[Any], formfield.choices))
        return formfield

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        """Besides the usual ones, one action per active ambito: "Move to Ambito di …"."""
        actions = super().get_actions(request)
        if not self.has_change_permission(request):
            return actions
        for ambito in Ambito.objects.filter(is_active=True).order_by("name"):
            name = f"move_to_ambito_{ambito.code}"
            description = gettext("Move the selected comuni to %(ambito)s") % {
                "ambito": ambito.name
            }
            actions[name] = (_move_to_ambito_action(ambito), name, description)
        name = "move_to_no_ambito"
        actions[name] = (
            _move_to_ambito_action(None),
            name,
            gettext("Take the selected comuni out of their ambito"),
        )
        return actions
