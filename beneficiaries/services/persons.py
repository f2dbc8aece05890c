"""Services of the person on file: registering with codice fiscale checks and duplicate
detection, changing the anagrafica, the household, and the GDPR restriction flag.

Every change asks the access policy first and is written to the audit trail."""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable
from typing import Any

from codicefiscale import codicefiscale
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from beneficiaries.models import (
    HouseholdMember,
    NeedTag,
    Person,
    PersonArea,
)
from legami.audit import audit_change, diff, snapshot
from legami.models import Ambito, Comune
from legami.policy import Action, require
from partners.models import Organisation

# The anagrafica fields a form may set through ``data``.
PERSON_FIELDS = (
    "first_name",
    "last_name",
    "codice_fiscale",
    "no_codice_fiscale_reason",
    "birth_date",
    "sex",
    "birth_comune",
    "birth_country",
    "citizenship",
    "languages",
    "phone",
    "email",
    "address",
    "residence_comune",
    "domicile_comune",
)

# Names at least this similar (0..1, after normalising) count as "similar".
NAME_SIMILARITY = 0.85


def _normalise(text: str) -> str:
    """Lower case, without accents, apostrophes or repeated spaces."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    plain = plain.lower().replace("'", " ").replace("-", " ")
    return " ".join(plain.split())


def _names_similar(a_first: str, a_last: str, b_first: str, b_last: str) -> bool:
    """Whether two names are alike, in either order (first/last names swapped)."""
    a = f"{_normalise(a_first)} {_normalise(a_last)}"
    b_straight = f"{_normalise(b_first)} {_normalise(b_last)}"
    b_swapped = f"{_normalise(b_last)} {_normalise(b_first)}"
    return any(
        difflib.SequenceMatcher(None, a, b).ratio() >= NAME_SIMILARITY
        for b in (b_straight, b_swapped)
    )


def codice_fiscale_check(data: dict[str, Any]) -> dict[str, Any]:
    """Validate the codice fiscale of ``data`` and return ``data`` completed from it.

    A valid code (omocodes included) gives the birth date, sex and comune of birth (or,
    for a "Z..." code, the country of birth); a value typed in ``data`` that disagrees
    with the code is an error on that field. Without a code, a reason is required.
    """
    data = dict(data)
    cf = (data.get("codice_fiscale") or "").strip().upper().replace(" ", "")
    data["codice_fiscale"] = cf
    if not cf:
        if not data.get("no_codice_fiscale_reason"):
            raise ValidationError(
                {"no_codice_fiscale_reason": _("Give the reason why there is no codice fiscale.")}
            )
        return data
    data["no_codice_fiscale_reason"] = ""
    if not codicefiscale.is_valid(cf):
        raise ValidationError({"codice_fiscale": _("This is not a valid codice fiscale.")})
    decoded = codicefiscale.decode(cf)
    errors: dict[str, str] = {}
    birth_date = decoded["birthdate"].date()
    typed_date = data.get("birth_date")
    if (
        typed_date
        and typed_date != birth_date
        and (typed_date.month, typed_date.day, typed_date.year % 100)
        == (birth_date.month, birth_date.day, birth_date.year % 100)
    ):
        # The code gives the year in two digits: the century typed in wins (someone born
        # in 1920 has a code that reads as 2020).
        birth_date = typed_date
    if data.get("birth_date") and data["birth_date"] != birth_date:
        errors["birth_date"] = _("The codice fiscale gives %(date)s as the date of birth.") % {
            "date": birth_date.strftime("%d/%m/%Y")
        }
    data["birth_date"] = birth_date
    sex = decoded["gender"]
    if data.get("sex") and data["sex"] != sex:
        errors["sex"] = _("The codice fiscale does not match the sex given.")
    data["sex"] = sex
    place = decoded.get("birthplace") or {}
    code = (place.get("code") or "").upper()
    if code.startswith("Z"):
        if data.get("birth_comune"):
            errors["birth_comune"] = _(
                "The codice fiscale says the person was born abroad (%(country)s)."
            ) % {"country": place.get("name", code)}
        if not data.get("birth_country"):
            data["birth_country"] = place.get("name", "")
    elif code:
        comune = Comune.objects.filter(belfiore_code=code).first()
        typed = data.get("birth_comune")
        if typed and typed.belfiore_code != code:
            errors["birth_comune"] = _(
                "The codice fiscale gives %(comune)s as the comune of birth."
            ) % {"comune": place.get("name", code)}
        elif comune is not None:
            data["birth_comune"] = comune
    if errors:
        raise ValidationError(errors)
    return data


def person_possible_duplicates(
    *, data: dict[str, Any], exclude: Person | None = None
) -> list[Person]:
    """People already on file who may be the same person: the same codice fiscale, or
    the same date of birth and a similar name (accents and case ignored, first and last
    name possibly swapped). Searched across all files, visible or not: the caller shows
    the ones the user may not read only in outline."""
    cf = (data.get("codice_fiscale") or "").strip().upper()
    birth_date = data.get("birth_date")
    condition = Q()
    if cf:
        condition |= Q(codice_fiscale=cf)
    if birth_date:
        condition |= Q(birth_date=birth_date)
    if not condition:
        return []
    candidates = Person.objects.filter(condition, anonymised_at__isnull=True)
    if exclude is not None:
        candidates = candidates.exclude(pk=exclude.pk)
    found = []
    for person in candidates:
        if (
            cf
            and person.codice_fiscale == cf
            or _names_similar(
                data.get("first_name", ""),
                data.get("last_name", ""),
                person.first_name,
                person.last_name,
            )
        ):
            found.append(person)
    return found


def _set_areas_and_tags(
    person: Person, areas: Iterable[str] | None, need_tags: Iterable[NeedTag] | None
) -> dict[str, list[Any]]:
    changes: dict[str, list[Any]] = {}
    if areas is not None:
        before = sorted(person.areas.values_list("area", flat=True))
        wanted = sorted(set(areas))
        if before != wanted:
            person.areas.exclude(area__in=wanted).delete()
            PersonArea.objects.bulk_create(
                [PersonArea(person=person, area=a) for a in wanted if a not in before]
            )
            changes["areas"] = [before, wanted]
    if need_tags is not None:
        before_tags = sorted(person.need_tags.values_list("pk", flat=True))
        wanted_tags = sorted({t.pk for t in need_tags})
        if before_tags != wanted_tags:
            person.need_tags.set(wanted_tags)
            changes["need_tags"] = [before_tags, wanted_tags]
    return changes


def _require_case_worker_at(actor: Any, organisation: Organisation) -> None:
    """The actor works (as social worker or coordinator) for ``organisation`` today."""
    from legami.policy import subject_for
    from legami.roles import Role

    if organisation.pk not in subject_for(actor).orgs(Role.OPERATOR, Role.COORDINATOR):
        raise PermissionDenied


def person_create(
    *,
    actor: Any,
    data: dict[str, Any],
    areas: Iterable[str] = (),
    need_tags: Iterable[NeedTag] = (),
    force: bool = False,
    organisation: Organisation | None = None,
    ambito: Ambito | None = None,
) -> Person:
    """Register a person: the codice fiscale is checked and completes the birth data
    (see ``codice_fiscale_check``). If possible duplicates exist the registration is
    refused, unless ``force`` says the worker confirmed it is a different person. With
    ``organisation`` and ``ambito`` a case is opened there too (see ``case_open``), so
    that the worker keeps access to the file they created."""
    require(actor, Action.CREATE, Person)
    if organisation is not None:
        _require_case_worker_at(actor, organisation)
    clean = codice_fiscale_check({k: v for k, v in data.items() if k in PERSON_FIELDS})
    if (
        clean["codice_fiscale"]
        and Person.objects.filter(codice_fiscale=clean["codice_fiscale"]).exists()
    ):
        raise ValidationError(
            {"codice_fiscale": _("A person with this codice fiscale is already on file.")}
        )
    if not force and person_possible_duplicates(data=clean):
        raise ValidationError(
            _("People who may be the same person are already on file."), code="duplicates"
        )
    with transaction.atomic():
        person = Person(**clean, created_by=actor)
        person.full_clean()
        person.save()
        _set_areas_and_tags(person, areas, need_tags)
        audit_change(
            obj=person,
            action="create",
            changes={k: [None, v] for k, v in snapshot(person).items() if v not in ("", None)},
            note=_("registered despite possible duplicates") if force else "",
            actor=actor,
        )
        if organisation is not None and ambito is not None:
            from beneficiaries.services.cases import case_open

            case_open(person=person, organisation=organisation, ambito=ambito, actor=actor)
    return person


def require_not_restricted(person: Person) -> None:
    """See ``beneficiaries.services.cases.require_not_restricted``."""
    from beneficiaries.services.cases import require_not_restricted as check

    check(person)


def person_update(
    *,
    actor: Any,
    person: Person,
    data: dict[str, Any],
    areas: Iterable[str] | None = None,
    need_tags: Iterable[NeedTag] | None = None,
) -> Person:
    """Change the anagrafica (with the same codice fiscale checks as registration),
    the vulnerability areas and the needs of a person."""
    require(actor, Action.CHANGE, person)
    require_not_restricted(person)
    clean = codice_fiscale_check({k: v for k, v in data.items() if k in PERSON_FIELDS})
    if (
        clean["codice_fiscale"]
        and Person.objects.filter(codice_fiscale=clean["codice_fiscale"])
        .exclude(pk=person.pk)
        .exists()
    ):
        raise ValidationError(
            {"codice_fiscale": _("A person with this codice fiscale is already on file.")}
        )
    with transaction.atomic():
        before = snapshot(person)
        for name, value in clean.items():
            setattr(person, name, value)
        person.full_clean()
        person.save()
        changes = diff(before, snapshot(person))
        changes.update(_set_areas_and_tags(person, areas, need_tags))
        if changes:
            audit_change(obj=person, action="update", changes=changes, actor=actor)
    return person


def household_member_add(
    *,
    actor: Any,
    person: Person,
    relation: str,
    member: Person | None = None,
    first_name: str = "",
    last_name: str = "",
    birth_year: int | None = None,
    cohabiting: bool = True,
) -> HouseholdMember:
    """Add a member to the person's household: a person on file or just a name."""
    # The household follows the file: whoever may change the person changes it.
    require(actor, Action.CHANGE, person)
    require_not_restricted(person)
    if member is None and not first_name.strip():
        raise ValidationError({"first_name": _("Give the member's name.")})
    if member is not None and member.pk == person.pk:
        raise ValidationError({"member": _("A person is not a member of their own household.")})
    with transaction.atomic():
        row = HouseholdMember.objects.create(
            person=person,
            relation=relation,
            member=member,
            first_name=first_name.strip(),
            last_name=last_name.strip(),
            birth_year=birth_year,
            cohabiting=cohabiting,
        )
        audit_change(
            obj=row,
            action="create",
            changes={k: [None, v] for k, v in snapshot(row).items()},
            actor=actor,
        )
    return row


def household_member_remove(*, actor: Any, household_member: HouseholdMember) -> None:
    """Remove a member from a person's household."""
    require(actor, Action.CHANGE, household_member.person)
    with transaction.atomic():
        audit_change(
            obj=household_member,
            action="delete",
            changes={k: [v, None] for k, v in snapshot(household_member).items()},
            actor=actor,
        )
        household_member.delete()


def _set_restricted(*, actor: Any, person: Person, value: bool, reason: str) -> Person:
    require(actor, Action.CHANGE, person)
    if person.restricted == value:
        return person
    with transaction.atomic():
        person.restricted = value
        person.save(update_fields=["restricted"])
        audit_change(
            obj=person,
            action="state",
            changes={"restricted": [not value, value]},
            note=reason,
            actor=actor,
        )
    return person


def person_restrict(*, actor: Any, person: Person, reason: str = "") -> Person:
    """Turn on the restriction of processing (GDPR art. 18) of a person's file."""
    return _set_restricted(actor=actor, person=person, value=True, reason=reason)


def person_unrestrict(*, actor: Any, person: Person, reason: str = "") -> Person:
    """Turn off the restriction of processing of a person's file."""
    return _set_restricted(actor=actor, person=person, value=False, reason=reason)


__all__ = [
    "codice_fiscale_check",
    "household_member_add",
    "household_member_remove",
    "person_create",
    "person_possible_duplicates",
    "person_restrict",
    "person_unrestrict",
    "person_update",
]
