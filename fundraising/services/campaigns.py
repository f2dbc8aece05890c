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
import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from fundraising.models import (
    Campaign,
    CampaignCost,
    CampaignImage,
    CampaignStatus,
    CampaignUpdate,
    Donation,
    Donor,
    FundraisingProfile,
    MatchingPledge,
)
from fundraising.services.donations import clean_amount
from legami.audit import audit_change, diff, snapshot
from legami.policy import Action, require
from partners.models import Organisation

logger = logging.getLogger(__name__)

GOAL_MAX = Decimal("9999999999.99")
# Addresses of the desk's own pages next to /gestione/campagne/<slug>/.
RESERVED_SLUGS = frozenset({"nuova"})
IMAGE_MAX_BYTES = 5 * 1024 * 1024
IMAGE_MAX_PIXELS = 40_000_000
# What Pillow reads in the file's bytes → the extension the file is stored with.
IMAGE_FORMATS = {"PNG": ".png", "JPEG": ".jpg", "WEBP": ".webp"}
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
    elif campaign.slug in RESERVED_SLUGS:
        errors["slug"] = _("This short name is taken by the desk's own pages: choose another.")
    elif Campaign.objects.filter(slug=campaign.slug).exclude(pk=campaign.pk).exists():
        errors["slug"] = _("Another campaign already has this short name.")
    if campaign.starts_on and campaign.ends_on and campaign.ends_on < campaign.starts_on:
        errors["ends_on"] = _("The campaign cannot end before it starts.")
    if campaign.intervention_id is not None and campaign.ambito_id is not None:
        errors["ambito"] = _(
            "A campaign funds either a lab's intervention or a fund of an ambito, not both."
        )
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
    if send_by_email:
        from fundraising.tasks import mail_campaign_update

        update_id = update.pk
        transaction.on_commit(lambda: mail_campaign_update.delay(update_id))
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


@transaction.atomic
def cost_remove(*, cost: CampaignCost, by: Any) -> None:
    """Take a cost off the campaign's account (entered by mistake), also after closing."""
    require(by, Action.CHANGE, cost.campaign)
    locked = CampaignCost.objects.select_for_update().filter(pk=cost.pk).first()
    if locked is None:
        return
    audit_change(
        obj=locked,
        action="delete",
        changes={
            "date": [locked.date.isoformat(), None],
            "description": [locked.description, None],
            "amount": [str(locked.amount), None],
        },
        actor=by,
    )
    locked.delete()


# --- Images -------------------------------------------------------------------------------


def image_kind(file: UploadedFile) -> str:
    """The extension of an uploaded image, from what Pillow reads in its bytes (the
    name and the browser's content type are not trusted): PNG, JPEG or WebP, up to
    ``IMAGE_MAX_BYTES``; anything else is refused under ``image``."""
    from PIL import Image, UnidentifiedImageError

    refused = ValidationError({"image": _("Upload a PNG, JPEG or WebP image.")}, code="image_type")
    if file.size is None or file.size > IMAGE_MAX_BYTES:
        raise ValidationError({"image": _("The image is larger than 5 MB.")}, code="too_big")
    try:
        file.seek(0)
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(file) as probe:
                kind = probe.format or ""
                width, height = probe.size
                probe.verify()
    except (UnidentifiedImageError, Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise refused from None
    except (OSError, SyntaxError, ValueError):  # a truncated or corrupt file
        raise refused from None
    finally:
        file.seek(0)
    if kind not in IMAGE_FORMATS or width * height > IMAGE_MAX_PIXELS:
        raise refused
    return IMAGE_FORMATS[kind]


@contextmanager
def _files_kept_only_on_success() -> Iterator[list[tuple[Any, str]]]:
    """A file written before its row is saved is removed again if the block fails, so a
    refused upload leaves no file behind."""
    written: list[tuple[Any, str]] = []
    try:
        yield written
    except BaseException:
        for storage, name in written:
            storage.delete(name)
        raise


def image_add(*, campaign: Campaign, by: Any, image: UploadedFile, alt_text: str) -> CampaignImage:
    """An image for the campaign's public page, last in order, with its text
    alternative (required). Stored in the public storage (``public_storage_path``)."""
    require(by, Action.CHANGE, campaign)
    alt = (alt_text or "").strip()
    errors: dict[str, Any] = {}
    if not alt:
        errors["alt_text"] = _("Describe the image for those who cannot see it.")
    elif len(alt) > 250:
        errors["alt_text"] = _("Keep the description within 250 characters.")
    try:
        extension = image_kind(image)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    with _files_kept_only_on_success() as written, transaction.atomic():
        campaign = _lock(campaign)
        last = campaign.images.order_by("-order").values_list("order", flat=True).first()
        row = CampaignImage(campaign=campaign, alt_text=alt, order=0 if last is None else last + 1)
        row.image.save(f"image{extension}", image, save=False)
        written.append((row.image.storage, row.image.name))
        row.save()
        audit_change(
            obj=row,
            action="create",
            changes={"image": [None, row.image.name], "alt_text": [None, alt]},
            actor=by,
        )
    return row


@transaction.atomic
def image_remove(*, image: CampaignImage, by: Any) -> None:
    """Take an image off the campaign's page; its file goes once the change is saved."""
    require(by, Action.CHANGE, image.campaign)
    locked = CampaignImage.objects.select_for_update().filter(pk=image.pk).first()
    if locked is None:
        return
    storage, name = locked.image.storage, locked.image.name
    audit_change(
        obj=locked,
        action="delete",
        changes={"image": [name, None], "alt_text": [locked.alt_text, None]},
        actor=by,
    )
    locked.delete()
    if name:
        transaction.on_commit(lambda: storage.delete(name))


@transaction.atomic
def image_move(*, image: CampaignImage, by: Any, up: bool) -> None:
    """Move an image one place earlier (``up``) or later on the page; the images are
    numbered again 0, 1, 2... in their new order."""
    require(by, Action.CHANGE, image.campaign)
    _lock(image.campaign)
    images = list(CampaignImage.objects.filter(campaign_id=image.campaign_id))
    index = next((i for i, row in enumerate(images) if row.pk == image.pk), None)
    if index is None:
        return
    other = index - 1 if up else index + 1
    if not 0 <= other < len(images):
        return
    images[index], images[other] = images[other], images[index]
    for order, row in enumerate(images):
        if row.order != order:
            before = row.order
            row.order = order
            row.save(update_fields=["order"])
            audit_change(obj=row, action="update", changes={"order": [before, order]}, actor=by)


# --- News by e-mail ---------------------------------------------------------------------


def update_recipients(campaign: Campaign) -> Any:
    """The donors an update of ``campaign`` is mailed to: those who gave to the
    campaign's organisation, whose consent to hear from it is in force, and who have an
    e-mail address."""
    from fundraising.services.donors import donors_contactable

    organisation = campaign.organisation
    gave = Donation.objects.filter(organisation=organisation, donor__isnull=False).values(
        "donor_id"
    )
    return (
        donors_contactable(organisation)
        .filter(pk__in=gave)
        .exclude(email="")
        .select_related("user")
        .order_by("pk")
    )


def _donor_language(donor: Donor) -> str:
    return (getattr(donor.user, "language", "") if donor.user_id else "") or "it"


def update_message(update: CampaignUpdate, donor: Donor, connection: Any = None) -> EmailMessage:
    """The mail of ``update`` to ``donor``, in the donor's language (Italian when they
    have no account), with how to stop receiving news: the donor's own signed
    unsubscribe link, in the footer and in the ``List-Unsubscribe`` header."""
    from django.conf import settings

    from fundraising.services.donors import unsubscribe_url

    campaign = update.campaign
    organisation = campaign.organisation
    unsubscribe = unsubscribe_url(donor, organisation)
    with translation.override(_donor_language(donor)):
        subject = _("News from the campaign “%(title)s”: %(news)s") % {
            "title": campaign.title,
            "news": update.title,
        }
        body = render_to_string(
            "fundraising/email/campaign_update.txt",
            {
                "update": update,
                "campaign": campaign,
                "organisation": organisation,
                "name": donor.display_name,
                "page": f"{settings.SITE_URL}{campaign.get_absolute_url()}",
                "unsubscribe": unsubscribe,
            },
        )
    return EmailMessage(
        subject=f"[Legami] {subject}",
        body=body,
        to=[donor.email],
        reply_to=[organisation.email] if organisation.email else None,
        headers={"List-Unsubscribe": f"<{unsubscribe}>"},
        connection=connection,
    )


def update_mail_send(*, update_id: int) -> int:
    """Mail an update to the donors who consented (``update_recipients``), once: the
    update is claimed first (``emailed_at`` set by a conditional UPDATE where it is
    still empty), so a task delivered twice, or two running at once, mail only once.
    A mail that fails is logged and not retried (nobody gets the news twice). The number
    of donors mailed is recorded in the update's history. Returns that number."""
    claimed = CampaignUpdate.objects.filter(
        pk=update_id, send_by_email=True, emailed_at__isnull=True
    ).update(emailed_at=timezone.now())
    if not claimed:
        return 0
    update = CampaignUpdate.objects.select_related("campaign__organisation").get(pk=update_id)
    sent = 0
    connection = get_connection()
    with connection:
        for donor in update_recipients(update.campaign).iterator(chunk_size=500):
            try:
                update_message(update, donor, connection).send()
            except Exception:
                logger.exception("Campaign update %s not mailed to donor %s.", update_id, donor.pk)
                continue
            sent += 1
    audit_change(obj=update, action="state", changes={"emailed_to": [None, sent]}, actor=None)
    logger.info("Campaign update %s mailed to %s donors.", update_id, sent)
    return sent
