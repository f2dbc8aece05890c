"""Models of the fundraising app: campaigns with their pledges, updates and costs
(``campaign``), donors and their consent (``donor``), donations, monthly gifts and soft
credits (``donation``), receipts (``receipt``), bank statements (``bank``)."""

from fundraising.models.bank import (
    BankEntry,
    BankStatement,
    EntryStatus,
    ImportStatus,
    StatementFormat,
)
from fundraising.models.campaign import (
    Campaign,
    CampaignCost,
    CampaignImage,
    CampaignStatus,
    CampaignUpdate,
    FundraisingProfile,
    MatchingPledge,
)
from fundraising.models.donation import (
    Donation,
    DonationStatus,
    Method,
    RecurringGift,
    RecurringStatus,
    SoftCredit,
    SoftCreditKind,
)
from fundraising.models.donor import ConsentChange, Donor, DonorKind
from fundraising.models.receipt import Receipt, ReceiptCounter, ReceiptStatus

__all__ = [
    "BankEntry",
    "BankStatement",
    "Campaign",
    "CampaignCost",
    "CampaignImage",
    "CampaignStatus",
    "CampaignUpdate",
    "ConsentChange",
    "Donation",
    "DonationStatus",
    "Donor",
    "DonorKind",
    "EntryStatus",
    "FundraisingProfile",
    "ImportStatus",
    "MatchingPledge",
    "Method",
    "Receipt",
    "ReceiptCounter",
    "ReceiptStatus",
    "RecurringGift",
    "RecurringStatus",
    "SoftCredit",
    "SoftCreditKind",
    "StatementFormat",
]
