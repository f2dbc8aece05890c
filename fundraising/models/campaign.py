"""Campaigns: who collects, for what, the goal and dates, the public page's story and
images, news updates, the funders' matching pledges and the campaign's costs (for its
account, the rendiconto)."""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from legami.models import Ambito
from partners.models import Organisation


class FundraisingProfile(models.Model):
    """What an organisation that collects money needs to do so: where gifts go (IBAN),
    its legal name and fiscal code on receipts, and whether it is a third-sector body
    (ETS, entered in the RUNTS) whose donors may deduct gifts (art. 83 D.Lgs. 117/2017).
    """

    organisation = models.OneToOneField(
        Organisation,
        verbose_name=_("organisation"),
        related_name="fundraising_profile",
        on_delete=models.PROTECT,
        primary_key=True,
    )
    legal_name = models.CharField(_("legal name"), max_length=250)
    fiscal_code = models.CharField(_("fiscal code"), max_length=16)
    address = models.CharField(_("registered office"), max_length=250)
    iban = models.CharField(_("IBAN"), max_length=34)
    bic = models.CharField(_("BIC"), max_length=11, blank=True, default="")
    # Gifts to third-sector bodies entered in the RUNTS give the tax benefits of art. 83.
    third_sector_body = models.BooleanField(_("third-sector body (RUNTS)"), default=False)
    runts_number = models.CharField(_("RUNTS number"), max_length=40, blank=True, default="")
    receipt_signatory = models.CharField(_("receipts signed by"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("fundraising profile")
        verbose_name_plural = _("fundraising profiles")

    def __str__(self) -> str:
        return self.legal_name


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    PUBLISHED = "published", _("published")
    CLOSED = "closed", _("closed")


class Campaign(models.Model):
    """A campaign of the organisation that collects the money, for a project: a lab's
    intervention, a fund of an ambito, or another purpose told in its story."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    slug = models.SlugField(_("short name"), max_length=80, unique=True)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("collecting organisation"),
        related_name="campaigns",
        on_delete=models.PROTECT,
    )
    title = models.CharField(_("title"), max_length=200)
    summary = models.CharField(_("summary"), max_length=300, blank=True, default="")
    story = models.TextField(_("story"), blank=True, default="")
    goal = models.DecimalField(_("goal (€)"), max_digits=12, decimal_places=2)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    status = models.CharField(
        _("status"), max_length=10, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT
    )
    # What it funds: a lab's intervention, a fund of an ambito, or what the story says.
    intervention = models.ForeignKey(
        "labs.Intervention",
        verbose_name=_("lab intervention funded"),
        related_name="campaigns",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    ambito = models.ForeignKey(
        Ambito,
        verbose_name=_("fund of the ambito"),
        related_name="campaigns",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="+", on_delete=models.PROTECT, editable=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering: ClassVar = ["-starts_on", "title"]
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(goal__gt=0), name="fundraising_goal_positive"),
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="fundraising_campaign_dates"
            ),
            models.CheckConstraint(
                condition=~Q(status="closed") | Q(closed_at__isnull=False),
                name="fundraising_closed_campaign_has_date",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("fundraising:campaign_public", args=[self.slug])


def public_storage_path(instance: CampaignImage, filename: str) -> str:
    return f"campaigns/{instance.campaign.public_id}/{uuid.uuid4().hex}{_ext(filename)}"


def _ext(filename: str) -> str:
    dot = filename.rfind(".")
    return filename[dot:].lower()[:6] if dot != -1 else ""


class CampaignImage(models.Model):
    """An image of the public page, with its text alternative (required)."""

    campaign = models.ForeignKey(Campaign, related_name="images", on_delete=models.CASCADE)
    image = models.ImageField(_("image"), upload_to=public_storage_path)
    alt_text = models.CharField(_("text alternative"), max_length=250)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("campaign image")
        verbose_name_plural = _("campaign images")
        ordering: ClassVar = ["order", "pk"]

    def __str__(self) -> str:
        return self.alt_text


class CampaignUpdate(models.Model):
    """News of a campaign, on its page and, when chosen, mailed to the donors who
    agreed to hear from the organisation (once: ``emailed_at``)."""

    campaign = models.ForeignKey(Campaign, related_name="updates", on_delete=models.CASCADE)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))
    published_at = models.DateTimeField(_("published"), default=timezone.now)
    send_by_email = models.BooleanField(_("send by e-mail"), default=False)
    emailed_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="+", on_delete=models.PROTECT, editable=False
    )

    class Meta:
        verbose_name = _("campaign update")
        verbose_name_plural = _("campaign updates")
        ordering: ClassVar = ["-published_at", "-pk"]

    def __str__(self) -> str:
        return self.title


class MatchingPledge(models.Model):
    """A funder matches the donations of a campaign at ``ratio`` (1.00 = 1:1) up to
    ``cap`` euro; with ``only_if_target_reached`` it pays only if the campaign's goal
    is reached by ``deadline`` (the campaign's end when empty). The arithmetic is in
    ``fundraising.matching``."""

    campaign = models.ForeignKey(
        Campaign, related_name="matching_pledges", on_delete=models.CASCADE
    )
    funder = models.ForeignKey(
        Organisation,
        verbose_name=_("funder"),
        related_name="matching_pledges",
        on_delete=models.PROTECT,
    )
    ratio = models.DecimalField(_("euro matched per euro given"), max_digits=5, decimal_places=2)
    cap = models.DecimalField(_("up to (€)"), max_digits=12, decimal_places=2)
    only_if_target_reached = models.BooleanField(
        _("only if the goal is reached by the deadline"), default=False
    )
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("matching pledge")
        verbose_name_plural = _("matching pledges")
        ordering: ClassVar = ["pk"]
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(ratio__gt=0), name="fundraising_ratio_positive"),
            models.CheckConstraint(condition=Q(cap__gt=0), name="fundraising_cap_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.funder} · {self.campaign}"


class CampaignCost(models.Model):
    """A cost of running a campaign (printing, events, payment fees), for its account."""

    campaign = models.ForeignKey(Campaign, related_name="costs", on_delete=models.CASCADE)
    date = models.DateField(_("date"))
    description = models.CharField(_("description"), max_length=250)
    amount = models.DecimalField(_("amount (€)"), max_digits=12, decimal_places=2)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="+", on_delete=models.PROTECT, editable=False
    )

    class Meta:
        verbose_name = _("campaign cost")
        verbose_name_plural = _("campaign costs")
        ordering: ClassVar = ["date", "pk"]
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="fundraising_cost_positive"),
        ]

    def __str__(self) -> str:
        return self.description
