"""Donors and their consent to be contacted.

**One donor per code.** A donor's codice fiscale and partita IVA are validated and
normalised (``fundraising.validators``); when a donor with the same code already exists,
``donor_create`` returns that donor instead of making a second one:

* entered by a fundraiser allowed to change that donor, the existing donor is updated
  with the non-empty values given (an empty field never blanks a stored one);
* from the public donation form (``by=None``) or by someone who may not change it, the
  existing donor is returned **unchanged**: whoever types somebody's codice fiscale into
  a form must not be able to rewrite that person's address, e-mail or consent.

When the codice fiscale and the partita IVA given belong to two different donors, the
form is refused. Two people creating the same donor at the same moment: the second
finds the first's row (the unique constraints decide).

**Consent** is per donor and organisation, an append-only history
(``ConsentChange``): the latest change is in force. ``consent_set`` appends a change only
when it changes the consent in force, under a lock of the donor's row.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from fundraising.models import ConsentChange, Donor, DonorKind
from fundraising.validators import validate_codice_fiscale, validate_partita_iva
from legami.audit import audit_change, diff, snapshot
from legami.policy import Action, allowed, subject_for
from legami.roles import Role
from partners.models import Organisation

DONOR_FIELDS = (
    "kind",
    "first_name",
    "last_name",
    "company_name",
    "codice_fiscale",
    "partita_iva",
    "email",
    "phone",
    "address",
    "postcode",
    "city",
    "wall_name",
)


def is_fundraiser_of(user: Any, organisation: Organisation | int) -> bool:
    """Whether ``user`` raises funds for ``organisation`` today."""
    if user is None:
        return False
    org_id = organisation if isinstance(organisation, int) else organisation.pk
    return org_id in subject_for(user).orgs(Role.FUNDRAISER)


def require_fundraiser_of(user: Any, organisation: Organisation | int) -> None:
    if not is_fundraiser_of(user, organisation):
        raise PermissionDenied


def may_change_donor(user: Any, donor: Donor) -> bool:
    """Whether the policy lets ``user`` change ``donor`` (the fundraisers of the
    organisations the donor gave to; any fundraiser while the donor has given nothing)."""
    return user is not None and allowed(user, Action.CHANGE, donor)


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    """Normalised, validated donor fields (errors under the fields' keys)."""
    cleaned = {
        k: (v or "").strip() if isinstance(v, str) or v is None else v for k, v in data.items()
    }
    errors: dict[str, Any] = {}
    if cleaned.get("codice_fiscale"):
        try:
            cleaned["codice_fiscale"] = validate_codice_fiscale(cleaned["codice_fiscale"])
        except ValidationError as error:
            errors["codice_fiscale"] = error
    if cleaned.get("partita_iva"):
        try:
            cleaned["partita_iva"] = validate_partita_iva(cleaned["partita_iva"])
        except ValidationError as error:
            errors["partita_iva"] = error
    if cleaned.get("email"):
        cleaned["email"] = cleaned["email"].lower()
    if errors:
        raise ValidationError(errors)
    return cleaned


def _check_kind(values: dict[str, Any]) -> None:
    kind = values.get("kind")
    if kind not in DonorKind.values:
        raise ValidationError({"kind": _("Choose a person or a company.")})
    if kind == DonorKind.COMPANY and not values.get("company_name"):
        raise ValidationError({"company_name": _("A company needs its name.")})
    if kind == DonorKind.PERSON and not (
        values.get("first_name") or values.get("last_name") or values.get("email")
    ):
        raise ValidationError({"last_name": _("Give the donor's name or e-mail.")})


def donor_by_code(*, codice_fiscale: str = "", partita_iva: str = "") -> Donor | None:
    """The donor holding either code (both normalised), or None; ValidationError when
    the two codes belong to two different donors."""
    found: dict[int, Donor] = {}
    query = Q()
    if codice_fiscale:
        query |= Q(codice_fiscale=codice_fiscale)
        if codice_fiscale.isdigit():  # a body's numeric code is usually its partita IVA
            query |= Q(partita_iva=codice_fiscale)
    if partita_iva:
        query |= Q(partita_iva=partita_iva) | Q(codice_fiscale=partita_iva)
    if query:
        for donor in Donor.objects.filter(query):
            found[donor.pk] = donor
    if len(found) > 1:
        raise ValidationError(
            {
                "partita_iva": _(
                    "This codice fiscale and this partita IVA belong to two different donors."
                )
            }
        )
    return next(iter(found.values()), None)


def _fill(donor: Donor, values: dict[str, Any], *, by: Any) -> Donor:
    """Update ``donor`` with the non-empty ``values`` (audited when something changed)."""
    before = snapshot(donor, DONOR_FIELDS)
    for name in DONOR_FIELDS:
        value = values.get(name)
        if value not in (None, ""):
            setattr(donor, name, value)
    _check_kind(snapshot(donor, DONOR_FIELDS))
    changes = diff(before, snapshot(donor, DONOR_FIELDS))
    if changes:
        donor.save(update_fields=[*changes])
        audit_change(obj=donor, action="update", changes=changes, actor=by)
    return donor


@transaction.atomic
def donor_create(
    *,
    by: Any,
    kind: str,
    first_name: str = "",
    last_name: str = "",
    company_name: str = "",
    codice_fiscale: str = "",
    partita_iva: str = "",
    email: str = "",
    phone: str = "",
    address: str = "",
    postcode: str = "",
    city: str = "",
    wall_name: str = "",
    user: Any = None,
    consent: bool | None = None,
    consent_organisation: Organisation | None = None,
    source: str = "",
) -> Donor:
    """A new donor, or the existing one with the same codice fiscale or partita IVA
    (see the module's docstring). ``by=None`` is the public donation form; otherwise
    ``by`` must be a fundraiser. ``consent`` (True/False) is recorded for
    ``consent_organisation`` when given (None: not asked)."""
    if by is not None and not allowed(by, Action.CREATE, Donor):
        raise PermissionDenied
    values = _clean(
        {
            "kind": kind,
            "first_name": first_name,
            "last_name": last_name,
            "company_name": company_name,
            "codice_fiscale": codice_fiscale,
            "partita_iva": partita_iva,
            "email": email,
            "phone": phone,
            "address": address,
            "postcode": postcode,
            "city": city,
            "wall_name": wall_name,
        }
    )
    _check_kind(values)
    if consent is not None and consent_organisation is None:
        raise ValueError("consent needs consent_organisation")
    existing = donor_by_code(
        codice_fiscale=values["codice_fiscale"], partita_iva=values["partita_iva"]
    )
    if existing is None:
        try:
            with transaction.atomic():
                donor = Donor.objects.create(**values, user=user)
        except IntegrityError:  # created meanwhile with the same code
            existing = donor_by_code(
                codice_fiscale=values["codice_fiscale"], partita_iva=values["partita_iva"]
            )
            if existing is None:
                raise
        else:
            audit_change(obj=donor, action="create", changes={"kind": [None, donor.kind]}, actor=by)
            if consent is not None and consent_organisation is not None:
                consent_set(
                    donor=donor,
                    organisation=consent_organisation,
                    given=consent,
                    source=source or "donor_create",
                    by=by,
                )
            return donor
    # One donor per code: the existing one.
    if by is None or not may_change_donor(by, existing):
        return existing
    existing = Donor.objects.select_for_update().get(pk=existing.pk)
    _fill(existing, values, by=by)
    if consent is not None and consent_organisation is not None:
        consent_set(
            donor=existing,
            organisation=consent_organisation,
            given=consent,
            source=source or "donor_create",
            by=by,
        )
    return existing


@transaction.atomic
def donor_update(*, donor: Donor, by: Any, **fields: Any) -> Donor:
    """Change a donor's fields (only those passed; an empty string blanks a field).
    A code that another donor holds is refused."""
    unknown = set(fields) - set(DONOR_FIELDS)
    if unknown:
        raise TypeError(f"unknown donor fields: {sorted(unknown)}")
    if not may_change_donor(by, donor):
        raise PermissionDenied
    donor = Donor.objects.select_for_update().get(pk=donor.pk)
    values = _clean(fields)
    for key in ("codice_fiscale", "partita_iva"):
        if (
            values.get(key)
            and Donor.objects.filter(**{key: values[key]}).exclude(pk=donor.pk).exists()
        ):
            raise ValidationError({key: _("Another donor already has this code.")})
    before = snapshot(donor, DONOR_FIELDS)
    for name, value in values.items():
        setattr(donor, name, value)
    _check_kind(snapshot(donor, DONOR_FIELDS))
    changes = diff(before, snapshot(donor, DONOR_FIELDS))
    if changes:
        donor.save(update_fields=[*changes])
        audit_change(obj=donor, action="update", changes=changes, actor=by)
    return donor


def consent_in_force(donor: Donor, organisation: Organisation) -> tuple[bool, dt.datetime | None]:
    """(given, since when) of the latest change; (False, None) when never asked."""
    latest = (
        ConsentChange.objects.filter(donor=donor, organisation=organisation)
        .order_by("-at", "-pk")
        .first()
    )
    if latest is None:
        return False, None
    return latest.given, latest.at


@transaction.atomic
def consent_set(
    *,
    donor: Donor,
    organisation: Organisation,
    given: bool,
    source: str,
    by: Any = None,
    at: dt.datetime | None = None,
) -> ConsentChange | None:
    """Record that ``donor`` gave (or withdrew) consent to hear from ``organisation``:
    a new ConsentChange only when it changes the consent in force (None otherwise).
    ``by=None`` is the donor themselves (the donation form, an unsubscribe link);
    otherwise a fundraiser of ``organisation`` records it (a form on paper, a call)."""
    if by is not None and not is_fundraiser_of(by, organisation):
        raise PermissionDenied
    if not source:
        raise ValidationError({"source": _("Say how the consent was given or withdrawn.")})
    Donor.objects.select_for_update().filter(pk=donor.pk).first()  # one change at a time
    current, _since = consent_in_force(donor, organisation)
    never_asked = _since is None
    # A first "no" is recorded too (the donor said no, with a date).
    if current == given and not never_asked:
        return None
    change = ConsentChange.objects.create(
        donor=donor,
        organisation=organisation,
        given=given,
        at=at or timezone.now(),
        source=source[:40],
        recorded_by=by if getattr(by, "is_authenticated", False) else None,
    )
    audit_change(
        obj=donor,
        action="update",
        changes={"consent": [current, given]},
        note=f"organisation={organisation.pk} source={source[:40]}",
        actor=by,
    )
    return change


def donors_contactable(organisation: Organisation) -> QuerySet[Donor]:
    """Donors whose latest consent change for ``organisation`` is "given" (one query)."""
    latest = (
        ConsentChange.objects.filter(donor=OuterRef("pk"), organisation=organisation)
        .order_by("-at", "-pk")
        .values("given")[:1]
    )
    return Donor.objects.annotate(consent_given=Subquery(latest)).filter(consent_given=True)


# --- The unsubscribe link -----------------------------------------------------------------

UNSUBSCRIBE_SALT = "fundraising.unsubscribe"


def unsubscribe_token(donor: Donor, organisation: Organisation) -> str:
    """A signed token naming ``donor`` (by public id) and ``organisation``: whoever holds
    it may withdraw that donor's consent to hear from that organisation, and nothing
    else. It does not expire (a news mail may be read years later); it cannot be made
    up or changed without the secret key. The same donor and organisation always give
    the same token (no timestamp in it): every mail carries the same link."""
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign_object(
        {"d": donor.public_id.hex, "o": organisation.pk}
    )


def unsubscribe_url(donor: Donor, organisation: Organisation) -> str:
    """The full address of the unsubscribe page for ``donor`` and ``organisation``."""
    path = reverse(
        "fundraising:unsubscribe", kwargs={"token": unsubscribe_token(donor, organisation)}
    )
    return f"{settings.SITE_URL}{path}"


def donor_from_unsubscribe_token(token: str) -> tuple[Donor, Organisation] | None:
    """The (donor, organisation) a token of ``unsubscribe_token`` names; None when the
    signature does not match or either of them is gone."""
    try:
        payload = signing.Signer(salt=UNSUBSCRIBE_SALT).unsign_object(token)
        public_id = uuid.UUID(hex=str(payload["d"]))
        org_id = int(payload["o"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    donor = Donor.objects.filter(public_id=public_id).first()
    organisation = Organisation.objects.filter(pk=org_id).first()
    if donor is None or organisation is None:
        return None
    return donor, organisation
