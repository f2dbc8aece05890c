"""Admin of the pacts: a read-only view of pacts and of the reciprocity ledger, through
the access policy (each opening of a record is logged as a read). Pacts change only
through their pages and services, so that the state machine and the audit trail hold;
the ledger is append-only, and a mistake is corrected by a reversal — never here.

The whole pact (context, strengths, reviews) is shown only to those who read the case;
partner staff, who read only their organisation's part of a pact, do not get it here."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from beneficiaries.models import Case
from legami.admin_policy import ReadOnlyPolicyAdmin
from legami.policy import Action, visible_to
from pacts.models import (
    Commitment,
    Goal,
    LedgerEntry,
    LedgerTransaction,
    Pact,
    Placement,
    Review,
    Signatory,
)
from pacts.selectors import is_full_reader


class ReadOnlyInline(admin.TabularInline):
    """A part of a pact, shown inside a pact the policy already let the user read."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return True


class GoalInline(ReadOnlyInline):
    model = Goal
    fields = ("position", "description", "indicator", "target", "target_date", "organisation")
    readonly_fields = fields


class CommitmentInline(ReadOnlyInline):
    model = Commitment
    fields = ("direction", "kind", "description", "organisation", "owner", "quantity", "unit")
    readonly_fields = fields


class SignatoryInline(ReadOnlyInline):
    model = Signatory
    fields = ("kind", "organisation", "user", "name", "signed_at", "signed_by", "on_paper")
    readonly_fields = fields


class ReviewInline(ReadOnlyInline):
    model = Review
    fields = ("date", "final", "next_review_on", "held_by", "notes")
    readonly_fields = fields


class PlacementInline(ReadOnlyInline):
    model = Placement
    fields = ("host_organisation", "host_name", "tutor", "start_date", "end_date", "outcome")
    readonly_fields = fields


class AuditedReadOnlyAdmin(ReadOnlyPolicyAdmin):
    audit_reads = True


@admin.register(Pact)
class PactAdmin(AuditedReadOnlyAdmin):
    list_display = ("title", "person", "status", "start_date", "next_review_on", "ended_on")
    list_filter = ("status",)
    search_fields = ("title",)
    list_select_related = ("person",)
    fields = (
        "public_id",
        "title",
        "case",
        "person",
        "covers_household",
        "status",
        "context",
        "strengths",
        "start_date",
        "end_date",
        "review_every_weeks",
        "next_review_on",
        "ended_on",
        "interruption_reason",
        "renewal_of",
        "scan_name",
        "created_by",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields
    inlines: ClassVar = [
        GoalInline,
        CommitmentInline,
        SignatoryInline,
        ReviewInline,
        PlacementInline,
    ]

    @admin.display(description=_("scan of the signed copy"))
    def scan_name(self, obj: Pact) -> str:
        # The name only: the scan is in the private storage and opened from the pact page.
        return obj.scan.name if obj.scan else "—"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Pact]:
        # Only whole pacts: those of the cases the user reads.
        cases = visible_to(request.user, Case, Action.READ)
        return super().get_queryset(request).filter(case__in=cases.values("pk"))

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and not is_full_reader(request.user, obj):
            return False
        return super().has_view_permission(request, obj)


class LedgerEntryInline(ReadOnlyInline):
    model = LedgerEntry
    fields = ("account", "amount")
    readonly_fields = fields


@admin.register(LedgerTransaction)
class LedgerTransactionAdmin(AuditedReadOnlyAdmin):
    list_display = ("date", "pact", "hours", "giver", "receiver", "reverses", "recorded_by")
    list_filter = ("date",)
    list_select_related = (
        "pact",
        "giver__person",
        "giver__organisation",
        "receiver__person",
        "receiver__organisation",
        "reverses",
        "recorded_by",
    )
    fields = (
        "pact",
        "commitment",
        "date",
        "hours",
        "giver",
        "receiver",
        "description",
        "reverses",
        "recorded_by",
        "recorded_at",
    )
    readonly_fields = fields
    inlines: ClassVar = [LedgerEntryInline]
