"""Incroci in comunità: the service catalogue (``catalogue``), families' demand
(``demand``), providers' offers with capacity and price tiers (``offer``), matching runs
and the group agreements they propose (``agreement``)."""

from civic_center.models.agreement import (
    ACTIVE_MEMBER,
    Agreement,
    AgreementEvent,
    AgreementMail,
    AgreementMember,
    AgreementStatus,
    MatchingRun,
    MemberStatus,
    RunStatus,
)
from civic_center.models.catalogue import ServiceCategory, Unit
from civic_center.models.demand import MATCHABLE, Demand, DemandStatus
from civic_center.models.offer import (
    Offer,
    OfferPartner,
    OfferStatus,
    OfferWindow,
    PriceTier,
    PricingMode,
)

__all__ = [
    "ACTIVE_MEMBER",
    "MATCHABLE",
    "Agreement",
    "AgreementEvent",
    "AgreementMail",
    "AgreementMember",
    "AgreementStatus",
    "Demand",
    "DemandStatus",
    "MatchingRun",
    "MemberStatus",
    "Offer",
    "OfferPartner",
    "OfferStatus",
    "OfferWindow",
    "PriceTier",
    "PricingMode",
    "RunStatus",
    "ServiceCategory",
    "Unit",
]
