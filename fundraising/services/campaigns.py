"""Campaigns: written as drafts, published, closed; the funders' matching pledges,
news updates and costs. Only the fundraisers of the collecting organisation change a
campaign (the policy's ``fundraising.campaign`` rules).

States: ``draft → published → closed``. Publishing needs a title, a story, a goal, an
end not yet past and an organisation able to collect (a fundraising profile with its
IBAN). A closed campaign is not changed any more (its account is final); its costs may
still be entered, since invoices come late.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fundraising.models import (
    Campaign,
    CampaignCost,
    CampaignStatus,
    CampaignUpdate,
    FundraisingProfile,
    MatchingPledge,
)
from fundraising.services.donations import clean_amount
from legami.audit import audit_change, diff, snapshot
from legami.policy import Action, require
from partners.models import Organisation

GOAL_MAX = Decimal("9999999999.99")
RATIO_MAX = Decimal("999.99")
CAMPAIGN_FIELDS = (
    "slug",
    "title",
    "summary",
    "story",
    "goal",
    "starts_on",
    "ends_on",
    "intervention_id",
    "ambito_id",
)
EDITABLE = {
    "slug",
    "title",
    "summary",
    "story",
    "goal",
    "starts_on",
    "ends_on",
    "intervention",
    "ambito",
}


def _clean_goal(goal: Any) -> Decimal:
    try:
        value = goal if isinstance(goal, Decimal) else Decimal(str(goal))
    except (InvalidOperation, ValueError):
        raise ValidationError({"goal": _("Give the goal in euro.")}) from None
    if not value.is_finite() or value <= 0:
        raise ValidationError({"goal": _("The goal must be more than zero.")})
    if value > GOAL_MAX or value != value.quantize(Decimal("0.01")):
        raise ValidationError({"goal": _("Give the goal in euro and cents.")})
    return value


def _check(campaign: Campaign) -> None:
    """Field rules of a campaign being written (errors under the fields' keys)."""
    errors: dict[str, str] = {}
    if not (campaign.title or "").strip():
        errors["title"] = _("Give the campaign a title.")
    if not (campaign.slug or "").strip():
        errors["slug"] = _("Give the campaign a short name for its address.")
    elif Campaign.objects.filter(slug=campaign.slug).exclude(pk=campaign.pk).exists():
        errors["slug"] = _("Another campaign already has this short name.")
    if campaign.starts_on and campaign.ends_on and campaign.ends_on < campaign.starts_on:
        errors["ends_on"] = _("The campaign cannot end before it starts.")
    if errors:
        raise ValidationError(errors)
    campaign.goal = _clean_goal(campaign.goal)


def _lock(campaign: Campaign) -> Campaign:
    return Campaign.objects.select_for_update().get(pk=campaign.pk)


def _not_closed(campaign: Campaign) -> None:
    if campaign.status == CampaignStatus.CLOSED:
        raise ValidationError({"status": _("This campaign is closed.")})


@transaction.atomic
def campaign_create(
    *,
    by: Any,
    organisation: Organisation,
    slug: str,
    title: str,
    goal: Any,
    starts_on: dt.date,
    ends_on: dt.date,
    summary: str = "",
    story: str = "",
    intervention: Any = None,
    ambito: Any = None,
) -> Campaign:
    """A draft campaign of ``organisation`` (``by`` raises funds for it)."""
    campaign = Campaign(
        organisation=organisation,
        slug=(slug or "").strip(),
        title=(title or "").strip(),
        summary=(summary or "").strip(),
        story=(story or "").strip(),
        goal=goal,
        starts_on=starts_on,
        ends_on=ends_on,
        intervention=intervention,
        ambito=ambito,
        created_by=by,
    )
    require(by, Action.CREATE, campaign)
    _check(campaign)
    try:
        with transaction.atomic():
            campaign.save()
    except IntegrityError:
        raise ValidationError(
            {"slug": _("Another campaign already has this short name.")}
        ) from None
    audit_change(
        obj=campaign,
        action="create",
        changes=diff({}, snapshot(campaign, CAMPAIGN_FIELDS)),
        actor=by,
    )
    return campaign


@transaction.atomic
def campaign_update(*, campaign: Campaign, by: Any, **fields: Any) -> Campaign:
    """Change the fields passed (see ``EDITABLE``); not once the campaign is closed."""
    unknown = set(fields) - EDITABLE
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")
    require(by, Action.CHANGE, campaign)
    campaign = _lock(campaign)
    _not_closed(campaign)
    before = snapshot(campaign, CAMPAIGN_FIELDS)
    for name, value in fields.items():
        setattr(campaign, name, value.strip() if isinstance(value, str) else value)
    _check(campaign)
    if campaign.status == CampaignStatus.PUBLISHED and not campaign.story:
        raise ValidationError({"story": _("A published campaign needs its story.")})
    changes = diff(before, snapshot(campaign, CAMPAIGN_FIELDS))
    if changes:
        campaign.save()
        audit_change(obj=campaign, action="update", changes=changes, actor=by)
    return campaign


@transaction.atomic
def campaign_publish(*, campaign: Campaign, by: Any) -> Campaign:
    """draft → published: public from now on (published again: no change)."""
    require(by, Action.CHANGE, campaign)
    campaign = _lock(campaign)
    if campaign.status == CampaignStatus.PUBLISHED:
        return campaign
    _not_closed(campaign)
    errors: dict[str, str] = {}
    if not campaign.title.strip():
        errors["title"] = _("Give the campaign a title.")
    if not campaign.story.strip():
        errors["story"] = _("Tell the campaign's story before publishing it.")
    if not campaign.goal or campaign.goal <= 0:
        errors["goal"] = _("Set the campaign's goal before publishing it.")
    if campaign.ends_on < timezone.localdate():
        errors["ends_on"] = _("The campaign's end is already past.")
    if not FundraisingProfile.objects.filter(organisation_id=campaign.organisation_id).exists():
        errors["organisation"] = _(
            "The organisation needs its fundraising profile (legal name, IBAN) first."
        )
    if errors:
        raise ValidationError(errors)
    campaign.status = CampaignStatus.PUBLISHED
    campaign.save(update_fields=["status"])
    audit_change(
        obj=campaign,
        action="update",
        changes={"status": [CampaignStatus.DRAFT, CampaignStatus.PUBLISHED]},
        actor=by,
    )
    return campaign


@transaction.atomic
def campaign_close(*, campaign: Campaign, by: Any) -> Campaign:
    """published → closed: no more gifts (closed again: no change)."""
    require(by, Action.CHANGE, campaign)
    campaign = _lock(campaign)
    if campaign.status == CampaignStatus.CLOSED:
        return campaign
    if campaign.status != CampaignStatus.PUBLISHED:
        raise ValidationError({"status": _("Only a published campaign can be closed.")})
    campaign.status = CampaignStatus.CLOSED
    campaign.closed_at = timezone.now()
    campaign.save(update_fields=["status", "closed_at"])
    audit_change(
        obj=campaign,
        action="update",
        changes={"status": [CampaignStatus.PUBLISHED, CampaignStatus.CLOSED]},
        actor=by,
    )
    return campaign


@transaction.atomic
def pledge_add(
    *,
    campaign: Campaign,
    by: Any,
    funder: Organisation,
    ratio: Any,
    cap: Any,
    only_if_target_reached: bool = False,
    deadline: dt.date | None = None,
) -> MatchingPledge:
    """A funder's matching pledge (``ratio`` euro per euro given, up to ``cap``); the
    deadline, when given, is within the campaign (empty: the campaign's end)."""
    require(by, Action.CHANGE, campaign)
    campaign = _lock(campaign)
    _not_closed(campaign)
    errors: dict[str, str] = {}
    try:
        ratio_value = ratio if isinstance(ratio, Decimal) else Decimal(str(ratio))
        if not ratio_value.is_finite() or ratio_value <= 0 or ratio_value > RATIO_MAX:
            raise InvalidOperation
        if ratio_value != ratio_value.quantize(Decimal("0.01")):
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        errors["ratio"] = _("Give the euro matched per euro given, e.g. 1.00 (up to 999.99).")
    try:
        cap_value = clean_amount(cap, field="cap")
    except ValidationError:
        errors["cap"] = _("Give the most the funder adds, more than zero.")
    if deadline is not None and not (campaign.starts_on <= deadline <= campaign.ends_on):
        errors["deadline"] = _("The deadline must fall within the campaign.")
    if errors:
        raise ValidationError(errors)
    pledge = MatchingPledge.objects.create(
        campaign=campaign,
        funder=funder,
        ratio=ratio_value,
        cap=cap_value,
        only_if_target_reached=only_if_target_reached,
        deadline=deadline,
    )
    audit_change(
        obj=pledge,
        action="create",
        changes={
            "funder_id": [None, funder.pk],
            "ratio": [None, str(ratio_value)],
            "cap": [None, str(cap_value)],
            "only_if_target_reached": [None, only_if_target_reached],
        },
        actor=by,
    )
    return pledge


@transaction.atomic
def update_post(
    *, campaign: Campaign, by: Any, title: str, body: str, send_by_email: bool = False
) -> CampaignUpdate:
    """News on the campaign's page; with ``send_by_email`` it is marked for the mail to
    the donors who consented (sent by later work, once: ``emailed_at``)."""
    require(by, Action.CHANGE, campaign)
    errors: dict[str, str] = {}
    if not (title or "").strip():
        errors["title"] = _("Give the news a title.")
    if not (body or "").strip():
        errors["body"] = _("Write the news.")
    if errors:
        raise ValidationError(errors)
    if campaign.status == CampaignStatus.DRAFT and send_by_email:
        raise ValidationError({"send_by_email": _("Publish the campaign before mailing its news.")})
    update = CampaignUpdate.objects.create(
        campaign=campaign,
        title=title.strip(),
        body=body.strip(),
        send_by_email=send_by_email,
        created_by=by,
    )
    audit_change(
        obj=update,
        action="create",
        changes={"title": [None, update.title], "send_by_email": [None, send_by_email]},
        actor=by,
    )
    return update


@transaction.atomic
def cost_add(
    *, campaign: Campaign, by: Any, date: dt.date, description: str, amount: Any
) -> CampaignCost:
    """A cost of the campaign, for its account (also after closing: invoices come late)."""
    require(by, Action.CHANGE, campaign)
    value = clean_amount(amount)
    if not (description or "").strip():
        raise ValidationError({"description": _("Say what the cost was for.")})
    cost = CampaignCost.objects.create(
        campaign=campaign, date=date, description=description.strip(), amount=value, created_by=by
    )
    audit_change(
        obj=cost,
        action="create",
        changes={"amount": [None, str(value)], "description": [None, cost.description]},
        actor=by,
    )
    return cost
