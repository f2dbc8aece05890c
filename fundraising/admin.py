"""Admin of the fundraising app: a read-only window, as the access policy allows, on
campaigns, donors, donations, receipts and bank statements. They change only through
their services (so that receipts stay numbered without gaps, consents keep their
history and every change is in the audit trail)."""

from __future__ import annotations

from django.contrib import admin

from fundraising.models import BankStatement, Campaign, Donation, Donor, Receipt
from legami.admin_policy import ReadOnlyPolicyAdmin


@admin.register(Campaign)
class CampaignAdmin(ReadOnlyPolicyAdmin):
    list_display = ("title", "organisation", "goal", "starts_on", "ends_on", "status")
    list_filter = ("status",)
    search_fields = ("title",)
    list_select_related = ("organisation",)


@admin.register(Donor)
class DonorAdmin(ReadOnlyPolicyAdmin):
    list_display = ("__str__", "kind", "email")
    list_filter = ("kind",)
    search_fields = ("last_name", "company_name", "email")


@admin.register(Donation)
class DonationAdmin(ReadOnlyPolicyAdmin):
    list_display = ("date", "amount", "method", "status", "campaign", "organisation")
    list_filter = ("status", "method")
    list_select_related = ("campaign", "organisation")


@admin.register(Receipt)
class ReceiptAdmin(ReadOnlyPolicyAdmin):
    list_display = ("__str__", "organisation", "issued_at", "status")
    list_filter = ("status", "year")
    list_select_related = ("organisation",)


@admin.register(BankStatement)
class BankStatementAdmin(ReadOnlyPolicyAdmin):
    list_display = ("file_name", "organisation", "format", "imported_at")
    list_select_related = ("organisation",)
