"""The reciprocity ledger: hours given and received, in double entry.

Every transaction moves hours from the account that gives them to the account that
receives them: two entries, +hours on the giver, -hours on the receiver, so that the
entries of a transaction (and of the whole ledger) sum to zero. Nothing is ever edited
or deleted — on PostgreSQL a trigger refuses it — and a mistake is corrected by a
reversal transaction that points at the one it cancels (at most one each)."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from beneficiaries.models import Person
from pacts.models.pact import Commitment, Pact
from partners.models import Organisation


class LedgerAccount(models.Model):
    """Whose hours: a person on file, or an organisation of the network."""

    person = models.OneToOneField(
        Person, related_name="ledger_account", on_delete=models.PROTECT, null=True, blank=True
    )
    organisation = models.OneToOneField(
        Organisation, related_name="ledger_account", on_delete=models.PROTECT, null=True, blank=True
    )

    class Meta:
        verbose_name = _("ledger account")
        verbose_name_plural = _("ledger accounts")
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(person__isnull=False, organisation__isnull=True)
                | Q(person__isnull=True, organisation__isnull=False),
                name="pacts_account_is_person_xor_organisation",
            )
        ]

    def __str__(self) -> str:
        return str(self.person if self.person_id else self.organisation)


class LedgerTransaction(models.Model):
    """Hours given by one account to another on a date, within a pact."""

    pact = models.ForeignKey(
        Pact, verbose_name=_("pact"), related_name="transactions", on_delete=models.PROTECT
    )
    commitment = models.ForeignKey(
        Commitment,
        verbose_name=_("commitment"),
        related_name="transactions",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    date = models.DateField(_("date"))
    hours = models.DecimalField(_("hours"), max_digits=7, decimal_places=2)
    giver = models.ForeignKey(
        LedgerAccount, verbose_name=_("given by"), related_name="+", on_delete=models.PROTECT
    )
    receiver = models.ForeignKey(
        LedgerAccount, verbose_name=_("received by"), related_name="+", on_delete=models.PROTECT
    )
    description = models.CharField(_("description"), max_length=300, blank=True)
    reverses = models.OneToOneField(
        "self",
        verbose_name=_("reverses"),
        related_name="reversal",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="+", on_delete=models.PROTECT, null=True
    )
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)

    class Meta:
        verbose_name = _("ledger transaction")
        verbose_name_plural = _("ledger transactions")
        ordering: ClassVar = ["-date", "-id"]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(hours__gt=0), name="pacts_transaction_hours_positive"
            ),
            models.CheckConstraint(
                condition=~Q(giver=models.F("receiver")), name="pacts_transaction_two_accounts"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} · {self.hours} h"

    @property
    def is_reversal(self) -> bool:
        return self.reverses_id is not None


class LedgerEntry(models.Model):
    """One side of a transaction: +hours given, -hours received."""

    transaction = models.ForeignKey(
        LedgerTransaction, related_name="entries", on_delete=models.PROTECT
    )
    account = models.ForeignKey(LedgerAccount, related_name="entries", on_delete=models.PROTECT)
    amount = models.DecimalField(_("hours"), max_digits=7, decimal_places=2)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        constraints: ClassVar = [
            models.CheckConstraint(condition=~Q(amount=0), name="pacts_entry_not_zero"),
            models.UniqueConstraint(
                fields=["transaction", "account"], name="pacts_one_entry_per_side"
            ),
        ]
        indexes: ClassVar = [models.Index(fields=["account", "transaction"])]

    def __str__(self) -> str:
        return f"{self.account}: {self.amount}"
