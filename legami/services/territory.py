"""Services of the core: every change to the territory (ambiti and comuni).

The territory comes from three sources, each with its own service:

* ``comuni_import_from_codicefiscale``: the municipalities that the python-codicefiscale
  package ships (Belfiore code, name, province, whether still active). It is the source
  that needs no download, and the only one that tells which comuni no longer exist.
* ``comuni_import_from_istat_csv``: ISTAT's official "Elenco comuni italiani" CSV, which
  adds the six-digit ISTAT code and the official spelling of each name.
* ``comuni_assign_ambiti``: a CSV that says which ambito each comune belongs to.

Every import is all-or-nothing and idempotent: a bad file raises ``TerritoryImportError``
listing its bad lines and changes nothing; a second run of the same import changes nothing.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import IO, Any

from django.db import transaction
from django.utils.translation import gettext, ngettext

from legami.audit import audit_bulk_change, audit_change, diff, snapshot
from legami.models import Ambito, Comune
from legami.policy import Action, require, visible_to

__all__ = [
    "DEFAULT_AMBITI",
    "DefaultAmbito",
    "ImportResult",
    "Problem",
    "TerritoryImportError",
    "ambiti_ensure_default",
    "comuni_assign_ambiti",
    "comuni_import_from_codicefiscale",
    "comuni_import_from_istat_csv",
    "comuni_move_to_ambito",
    "territory_load_default",
]

_ISTAT_CODE = re.compile(r"^\d{6}$")
_BELFIORE_CODE = re.compile(r"^[A-Z]\d{3}$")
_PROVINCE = re.compile(r"^[A-Z]{2}$")
_NAME_MAX_LENGTH = 120
_MAX_LISTED_PROBLEMS = 20
_BATCH_SIZE = 500


# --- Results and errors -------------------------------------------------------------------


@dataclass
class ImportResult:
    """What an import did, row by row: created, updated, deactivated or left unchanged."""

    created: int = 0
    updated: int = 0
    deactivated: int = 0
    unchanged: int = 0

    @property
    def changed(self) -> int:
        """How many rows the import wrote (0 on a repeated import)."""
        return self.created + self.updated + self.deactivated

    def summary(self) -> str:
        """One translated line, e.g. "3 created, 1 updated, 0 deactivated, 109 unchanged"."""
        return gettext(
            "%(created)d created, %(updated)d updated, %(deactivated)d deactivated, "
            "%(unchanged)d unchanged"
        ) % {
            "created": self.created,
            "updated": self.updated,
            "deactivated": self.deactivated,
            "unchanged": self.unchanged,
        }


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file; ``line`` is None when it concerns the whole file."""

    line: int | None
    message: str

    def __str__(self) -> str:
        if self.line is None:
            return self.message
        return gettext("line %(line)d: %(problem)s") % {"line": self.line, "problem": self.message}


class TerritoryImportError(ValueError):
    """An import refused its input; nothing was changed.

    ``problems`` lists what is wrong, each with the line of the file where it is (the
    physical line, counting the header as line 1). The message lists the first
    ``_MAX_LISTED_PROBLEMS`` of them.
    """

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: list[Problem] = list(problems)
        self.lines: list[int] = sorted({p.line for p in self.problems if p.line is not None})
        super().__init__(self._message())

    def _message(self) -> str:
        listed = self.problems[:_MAX_LISTED_PROBLEMS]
        parts = [gettext("The import was refused and nothing was changed:")]
        parts += [f"- {problem}" for problem in listed]
        more = len(self.problems) - len(listed)
        if more:
            parts.append(
                ngettext("… and %(count)d more problem.", "… and %(count)d more problems.", more)
                % {"count": more}
            )
        return "\n".join(parts)


# --- Reading files --------------------------------------------------------------------------


def _read_text(file: IO[Any]) -> str:
    """The text of an uploaded or opened file, in whatever encoding ISTAT or a person used.

    Text files are taken as they are. Bytes are read as UTF-8 (with or without BOM) when
    they are valid UTF-8, otherwise as Windows-1252 (ISTAT's own encoding), and as
    Latin-1 if even that fails: some byte values are undefined in Windows-1252.
    """
    raw = file.read()
    if isinstance(raw, str):
        return raw.removeprefix("\ufeff")
    if raw.startswith(codecs.BOM_UTF8):
        return raw[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace")
    for encoding in ("utf-8", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


def _header_key(header: str) -> str:
    """A header cell compared loosely: no line breaks, single spaces, any case."""
    return " ".join(header.split()).casefold()


def _sniff_delimiter(text: str, candidates: str) -> str:
    first_line = text.split("\n", 1)[0]
    counts = {d: first_line.count(d) for d in candidates}
    return max(candidates, key=lambda d: counts[d]) if any(counts.values()) else candidates[0]


def _rows(text: str, delimiter: str) -> tuple[dict[str, int], Iterable[tuple[int, list[str]]]]:
    """The header (normalised name → column) and the non-blank rows with their line numbers.

    Line numbers are physical lines of the file: ISTAT's header has line breaks inside
    quoted cells, so the first data row of an ISTAT file is on line 3 or 4, not 2.
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: dict[str, int] = {}
    try:
        for index, cell in enumerate(next(reader)):
            header.setdefault(_header_key(cell), index)
    except StopIteration:
        return {}, ()

    def rows() -> Iterable[tuple[int, list[str]]]:
        for row in reader:
            if any(cell.strip() for cell in row):
                yield reader.line_num, row

    return header, rows()


def _column(header: Mapping[str, int], *names: str) -> int | None:
    for name in names:
        if _header_key(name) in header:
            return header[_header_key(name)]
    return None


def _cell(row: list[str], index: int) -> str:
    return row[index].strip() if index < len(row) else ""


def _normalise_province(province: str) -> str:
    value = (province or "").strip().upper()
    if not _PROVINCE.match(value):
        raise TerritoryImportError(
            [
                Problem(
                    None,
                    gettext("%(value)r is not a province: use its two-letter code, e.g. CR.")
                    % {"value": province},
                )
            ]
        )
    return value


# --- Names ----------------------------------------------------------------------------------

# Words that Italian place names write in lower case unless they come first.
# ("Casaletto di Sopra": adverbs such as "Sopra" are part of the name proper and keep theirs.)
# fmt: off
_PARTICLES = frozenset((
    "di", "de'", "del", "della", "delle", "dei", "degli", "dello", "ed", "e",
    "con", "sul", "sulla", "sui", "in", "al", "alla", "ai", "nel", "nella",
))
# fmt: on
_ELIDED = ("d'", "dell'", "all'", "sull'", "nell'")


def _italian_name_case(name: str) -> str:
    """A place name from python-codicefiscale's title case to the usual Italian spelling.

    "San Giovanni In Croce" → "San Giovanni in Croce", "Rivolta D'Adda" → "Rivolta d'Adda".
    The first word keeps its capital.
    """
    words = name.split()
    out = words[:1]
    for word in words[1:]:
        lower = word.casefold()
        if lower in _PARTICLES:
            out.append(lower)
            continue
        for prefix in _ELIDED:
            if lower.startswith(prefix) and len(word) > len(prefix):
                word = prefix + word[len(prefix) :]
                break
        out.append(word)
    return " ".join(out)


# --- Comuni from python-codicefiscale -------------------------------------------------------


def _codicefiscale_municipalities() -> list[dict[str, Any]]:
    """The municipality list shipped in the python-codicefiscale package."""
    data = resources.files("codicefiscale").joinpath("data", "municipalities.json")
    return json.loads(data.read_text(encoding="utf-8"))


def comuni_import_from_codicefiscale(*, province: str) -> ImportResult:
    """Bring the comuni of ``province`` in line with the active municipalities of
    python-codicefiscale's data.

    A Belfiore code can appear several times in the data (older names, suppressed and
    re-created comuni); only the active entry counts. Comuni are matched by Belfiore code:
    missing ones are created, existing ones get the name, province and ``is_active=True``.
    The name is only rewritten when it differs by more than letter case, so the official
    spelling that an ISTAT import wrote is kept. Comuni of the province that the data no
    longer lists as active are deactivated, never deleted: case files may point at them.

    A second import changes nothing and reports only unchanged rows.
    """
    province = _normalise_province(province)
    active: dict[str, str] = {}
    for entry in _codicefiscale_municipalities():
        if entry.get("province") == province and entry.get("active"):
            active[str(entry["code"]).upper()] = _italian_name_case(str(entry["name"]).strip())
    if not active:
        raise TerritoryImportError(
            [
                Problem(
                    None,
                    gettext("The codicefiscale data has no active comune in province %(province)s.")
                    % {"province": province},
                )
            ]
        )

    result = ImportResult()
    with transaction.atomic():
        existing = {
            c.belfiore_code: c
            for c in Comune.objects.select_for_update().filter(belfiore_code__in=active.keys())
        }
        to_create: list[Comune] = []
        to_update: list[Comune] = []
        for code, name in sorted(active.items()):
            comune = existing.get(code)
            if comune is None:
                to_create.append(
                    Comune(belfiore_code=code, name=name, province=province, is_active=True)
                )
                continue
            changed = False
            if comune.name.casefold() != name.casefold():
                comune.name, changed = name, True
            if comune.province != province or not comune.is_active:
                comune.province, comune.is_active, changed = province, True, True
            if changed:
                to_update.append(comune)
            else:
                result.unchanged += 1
        Comune.objects.bulk_create(to_create, batch_size=_BATCH_SIZE)
        Comune.objects.bulk_update(
            to_update, ["name", "province", "is_active"], batch_size=_BATCH_SIZE
        )
        result.created, result.updated = len(to_create), len(to_update)
        result.deactivated = (
            Comune.objects.filter(province=province, is_active=True)
            .exclude(belfiore_code__in=active.keys())
            .update(is_active=False)
        )
    return result


# --- Comuni from ISTAT's CSV ----------------------------------------------------------------

_ISTAT_COLUMNS: dict[str, tuple[str, ...]] = {
    "istat_code": ("Codice Comune formato alfanumerico",),
    "name": ("Denominazione in italiano", "Denominazione italiana", "Denominazione italiano"),
    "province": ("Sigla automobilistica",),
    "belfiore_code": ("Codice Catastale del comune", "Codice Catastale"),
}


@dataclass(frozen=True)
class _IstatRow:
    line: int
    istat_code: str
    belfiore_code: str
    name: str
    province: str


def _parse_istat_csv(text: str, province: str | None) -> list[_IstatRow]:
    header, rows = _rows(text, _sniff_delimiter(text, ";,"))
    found = {field: _column(header, *names) for field, names in _ISTAT_COLUMNS.items()}
    missing = [_ISTAT_COLUMNS[field][0] for field, index in found.items() if index is None]
    if missing:
        raise TerritoryImportError(
            [
                Problem(
                    1,
                    gettext(
                        "this is not ISTAT's list of comuni: the header lacks the columns "
                        "%(columns)s."
                    )
                    % {"columns": ", ".join(f"“{name}”" for name in missing)},
                )
            ]
        )
    columns = {field: index for field, index in found.items() if index is not None}
    istat_col, name_col = columns["istat_code"], columns["name"]
    province_col, belfiore_col = columns["province"], columns["belfiore_code"]

    problems: list[Problem] = []
    parsed: list[_IstatRow] = []
    seen_belfiore: dict[str, int] = {}
    seen_istat: dict[str, int] = {}
    for line, row in rows:
        sigla = _cell(row, province_col).upper()
        if province is not None and sigla != province:
            continue
        istat_code = _cell(row, istat_col)
        belfiore = _cell(row, belfiore_col).upper()
        name = _cell(row, name_col)
        row_problems = []
        if not _PROVINCE.match(sigla):
            row_problems.append(
                gettext("the province %(value)r is not two letters") % {"value": sigla}
            )
        if not _ISTAT_CODE.match(istat_code):
            row_problems.append(
                gettext("the ISTAT code %(value)r is not six digits") % {"value": istat_code}
            )
        if not _BELFIORE_CODE.match(belfiore):
            row_problems.append(
                gettext("the Belfiore code %(value)r is not a letter and three digits")
                % {"value": belfiore}
            )
        if not name or len(name) > _NAME_MAX_LENGTH:
            row_problems.append(
                gettext("the name %(value)r is empty or too long") % {"value": name}
            )
        if belfiore in seen_belfiore:
            row_problems.append(
                gettext("the Belfiore code %(value)s is already on line %(other)d")
                % {"value": belfiore, "other": seen_belfiore[belfiore]}
            )
        if istat_code in seen_istat:
            row_problems.append(
                gettext("the ISTAT code %(value)s is already on line %(other)d")
                % {"value": istat_code, "other": seen_istat[istat_code]}
            )
        seen_belfiore.setdefault(belfiore, line)
        seen_istat.setdefault(istat_code, line)
        if row_problems:
            problems.append(Problem(line, "; ".join(row_problems)))
        else:
            parsed.append(_IstatRow(line, istat_code, belfiore, name, sigla))
    if problems:
        raise TerritoryImportError(problems)
    if not parsed:
        message = (
            gettext("the file has no comune of province %(province)s.") % {"province": province}
            if province
            else gettext("the file has no comuni.")
        )
        raise TerritoryImportError([Problem(None, message)])
    return parsed


def comuni_import_from_istat_csv(*, file: IO[Any], province: str | None = None) -> ImportResult:
    """Fill in ISTAT codes and official names from ISTAT's "Elenco comuni italiani" CSV.

    The file is semicolon-separated, in Windows-1252 as ISTAT publishes it or in UTF-8
    (with or without BOM); columns are found by their header, whatever their order, case
    or line breaks. With ``province`` only that province's rows are read. Comuni are
    matched by Belfiore code; missing ones are created. The list holds the comuni that
    exist today, so every comune in it is set active (a comune that is not in it is left
    as it is). ISTAT's spelling of the name wins.

    A malformed file (missing columns, bad or repeated codes, an ISTAT code that another
    comune holds) raises ``TerritoryImportError`` with the lines at fault and changes
    nothing. A second import changes nothing.
    """
    province = _normalise_province(province) if province is not None else None
    rows = _parse_istat_csv(_read_text(file), province)

    result = ImportResult()
    with transaction.atomic():
        by_belfiore = {
            c.belfiore_code: c
            for c in Comune.objects.select_for_update().filter(
                belfiore_code__in=[r.belfiore_code for r in rows]
            )
        }
        holders = dict(
            Comune.objects.filter(istat_code__in=[r.istat_code for r in rows]).values_list(
                "istat_code", "belfiore_code"
            )
        )
        in_file = {r.belfiore_code: r for r in rows}
        conflicts = []
        for r in rows:
            holder = holders.get(r.istat_code)
            # Another comune holds this code and this file does not give it a new one (two
            # rows with one code were refused while parsing).
            if holder and holder != r.belfiore_code and holder not in in_file:
                conflicts.append(
                    Problem(
                        r.line,
                        gettext("the ISTAT code %(code)s already belongs to the comune %(other)s")
                        % {"code": r.istat_code, "other": holder},
                    )
                )
        if conflicts:
            raise TerritoryImportError(conflicts)

        to_create: list[Comune] = []
        to_update: list[Comune] = []
        recoded: list[int] = []
        for r in rows:
            comune = by_belfiore.get(r.belfiore_code)
            wanted = {
                "istat_code": r.istat_code,
                "name": r.name,
                "province": r.province,
                "is_active": True,
            }
            if comune is None:
                to_create.append(Comune(belfiore_code=r.belfiore_code, **wanted))
            elif any(getattr(comune, field) != value for field, value in wanted.items()):
                if comune.istat_code is not None and comune.istat_code != r.istat_code:
                    recoded.append(comune.pk)
                for field, value in wanted.items():
                    setattr(comune, field, value)
                to_update.append(comune)
            else:
                result.unchanged += 1
        # A code may move from one comune to another within this file: free the old codes
        # first, so that the unique constraint never sees one code on two rows.
        Comune.objects.filter(pk__in=recoded).update(istat_code=None)
        Comune.objects.bulk_update(
            to_update, ["istat_code", "name", "province", "is_active"], batch_size=_BATCH_SIZE
        )
        Comune.objects.bulk_create(to_create, batch_size=_BATCH_SIZE)
        result.created, result.updated = len(to_create), len(to_update)
    return result


# --- Ambiti ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DefaultAmbito:
    code: str
    name: str
    managing_body: str


# The three social-service districts of the province of Cremona and the bodies that manage
# their piani di zona (see ../shared/data/README.md). Since 2018 Casalmaggiore is a
# sub-ambito of the joint Casalasco-Viadanese (Oglio Po) ambito with ten comuni of Mantova;
# Legami works with its Cremonese part.
DEFAULT_AMBITI: tuple[DefaultAmbito, ...] = (
    DefaultAmbito("cremona", "Ambito di Cremona", "Azienda Sociale Cremonese"),
    DefaultAmbito("crema", "Ambito di Crema", "Comunità Sociale Cremasca"),
    DefaultAmbito(
        "casalmaggiore", "Ambito di Casalmaggiore", "Consorzio Casalasco Servizi Sociali"
    ),
)


def ambiti_ensure_default() -> ImportResult:
    """Create the three ambiti of the province of Cremona, or bring them back to their
    default name, managing body and active state. A second call changes nothing."""
    result = ImportResult()
    with transaction.atomic():
        existing = {
            a.code: a
            for a in Ambito.objects.select_for_update().filter(
                code__in=[d.code for d in DEFAULT_AMBITI]
            )
        }
        for default in DEFAULT_AMBITI:
            ambito = existing.get(default.code)
            if ambito is None:
                Ambito.objects.create(
                    code=default.code, name=default.name, managing_body=default.managing_body
                )
                result.created += 1
            elif (ambito.name, ambito.managing_body, ambito.is_active) != (
                default.name,
                default.managing_body,
                True,
            ):
                ambito.name, ambito.managing_body = default.name, default.managing_body
                ambito.is_active = True
                ambito.save(update_fields=["name", "managing_body", "is_active"])
                result.updated += 1
            else:
                result.unchanged += 1
    return result


_AMBITO_PREFIX = re.compile(r"^ambito\s+di\s+", re.IGNORECASE)


def _ambito_lookup() -> dict[str, set[Ambito]]:
    """Every way a file may name an ambito, case-insensitively: its code ("crema"), its
    name ("Ambito di Crema") and its name without the "Ambito di " prefix ("Crema")."""
    lookup: dict[str, set[Ambito]] = {}
    for ambito in Ambito.objects.all():
        keys = {ambito.code, ambito.name, _AMBITO_PREFIX.sub("", ambito.name)}
        for key in keys:
            lookup.setdefault(key.strip().casefold(), set()).add(ambito)
    return lookup


def comuni_assign_ambiti(*, file: IO[Any]) -> ImportResult:
    """Assign comuni to ambiti from a CSV with a header ``istat_code,ambito`` or
    ``belfiore_code,ambito`` (comma- or semicolon-separated; other columns are ignored;
    when both code columns are there the Belfiore code is used).

    The ambito cell names an ambito by its code, its name or its name without the
    "Ambito di " prefix, in any case: ``cremona``, ``Ambito di Cremona`` and ``Cremona``
    are the same ambito. An unknown, inactive or ambiguous ambito, an unknown comune, an
    empty cell or a comune listed twice raises ``TerritoryImportError`` with the lines at
    fault, and nothing is changed. Comuni not in the file keep their ambito.

    A comune whose ambito changes counts as updated, one already there as unchanged; a
    second run changes nothing.
    """
    text = _read_text(file)
    header, rows = _rows(text, _sniff_delimiter(text, ",;"))
    key_field = "belfiore_code" if "belfiore_code" in header else "istat_code"
    if key_field not in header or "ambito" not in header:
        raise TerritoryImportError(
            [
                Problem(
                    1,
                    gettext(
                        "the header must have the columns “istat_code” (or “belfiore_code”) "
                        "and “ambito”."
                    ),
                )
            ]
        )
    key_col, ambito_col = header[key_field], header["ambito"]
    ambiti = _ambito_lookup()

    wanted: list[tuple[int, str, Ambito]] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for line, row in rows:
        code = _cell(row, key_col).upper()
        label = _cell(row, ambito_col)
        row_problems = []
        if not code:
            row_problems.append(gettext("the comune's code is empty"))
        elif code in seen:
            row_problems.append(
                gettext("the comune %(code)s is already on line %(other)d")
                % {"code": code, "other": seen[code]}
            )
        else:
            seen[code] = line
        matches = ambiti.get(label.casefold(), set())
        if not label:
            row_problems.append(gettext("the ambito is empty"))
        elif not matches:
            row_problems.append(gettext("there is no ambito %(value)r") % {"value": label})
        elif len(matches) > 1:
            row_problems.append(
                gettext("%(value)r could be any of the ambiti %(ambiti)s")
                % {"value": label, "ambiti": ", ".join(sorted(a.name for a in matches))}
            )
        elif not next(iter(matches)).is_active:
            row_problems.append(gettext("the ambito %(value)r is not active") % {"value": label})
        if row_problems:
            problems.append(Problem(line, "; ".join(row_problems)))
        else:
            wanted.append((line, code, next(iter(matches))))
    if not wanted and not problems:
        problems.append(Problem(None, gettext("the file lists no comune.")))
    if not ambiti:
        problems.insert(
            0,
            Problem(
                None,
                gettext(
                    "No ambito exists yet: create the ambiti first, in the admin "
                    "(or with manage.py seed_demo on a development database)."
                ),
            ),
        )
    if problems:
        raise TerritoryImportError(problems)

    result = ImportResult()
    with transaction.atomic():
        comuni = {
            getattr(c, key_field): c
            for c in Comune.objects.select_for_update().filter(
                **{f"{key_field}__in": [code for _, code, _ in wanted]}
            )
        }
        unknown = [
            Problem(
                line,
                gettext("there is no comune with %(field)s %(code)s")
                % {"field": key_field, "code": code},
            )
            for line, code, _ in wanted
            if code not in comuni
        ]
        if unknown:
            raise TerritoryImportError(unknown)
        to_update = []
        for _line, code, ambito in wanted:
            comune = comuni[code]
            if comune.ambito_id == ambito.pk:
                result.unchanged += 1
            else:
                comune.ambito = ambito
                to_update.append(comune)
        Comune.objects.bulk_update(to_update, ["ambito"], batch_size=_BATCH_SIZE)
        result.updated = len(to_update)
    return result


def comuni_move_to_ambito(
    *, comuni: Iterable[Comune], ambito: Ambito | None, actor: Any = None
) -> int:
    """Put the given comuni in ``ambito`` (or in none); returns how many changed.

    With an ``actor`` (a person, not the system), only the comuni the access policy lets
    them change are moved; the others are left as they are. Each move is audited.
    """
    with transaction.atomic():
        qs = Comune.objects.filter(pk__in=[c.pk for c in comuni])
        if actor is not None:
            qs = visible_to(actor, Comune, Action.CHANGE, queryset=qs)
        qs = qs.exclude(ambito=ambito) if ambito is not None else qs.exclude(ambito__isnull=True)
        moving = list(qs.select_for_update())
        if not moving:
            return 0
        target = ambito.pk if ambito is not None else None
        audit_bulk_change(
            objs=moving,
            action="update",
            changes=lambda c: {"ambito_id": [c.ambito_id, target]},  # type: ignore[attr-defined]
            actor=actor,
        )
        return Comune.objects.filter(pk__in=[c.pk for c in moving]).update(ambito=ambito)


AMBITO_FIELDS = ("name", "managing_body", "is_active")


def ambito_update(*, ambito: Ambito, actor: Any, data: Mapping[str, Any]) -> Ambito:
    """Change an ambito's name, managing body or active flag, as the policy allows."""
    unknown = set(data) - set(AMBITO_FIELDS)
    if unknown:
        raise ValueError(f"ambito_update cannot change {sorted(unknown)}")
    with transaction.atomic():
        current = Ambito.objects.select_for_update().get(pk=ambito.pk)
        require(actor, Action.CHANGE, current)
        before = snapshot(current, data.keys())
        for name, value in data.items():
            setattr(current, name, value)
        current.full_clean()
        changes = diff(before, snapshot(current, data.keys()))
        if changes:
            current.save(update_fields=list(changes))
            audit_change(obj=current, action="update", changes=changes, actor=actor)
    return current


def comune_set_ambito(*, comune: Comune, ambito: Ambito | None, actor: Any) -> Comune:
    """Correct the ambito of one comune, as the access policy allows ``actor``: judged on
    the comune as it stands before the change."""
    with transaction.atomic():
        current = Comune.objects.select_for_update().get(pk=comune.pk)
        require(actor, Action.CHANGE, current)
        before = current.ambito_id
        target = ambito.pk if ambito is not None else None
        if before != target:
            current.ambito = ambito
            current.save(update_fields=["ambito"])
            audit_change(
                obj=current, action="update", changes={"ambito_id": [before, target]}, actor=actor
            )
    return current


# --- The default territory ------------------------------------------------------------------

DEFAULT_PROVINCE = "CR"


def territory_load_default() -> dict[str, ImportResult]:
    """The territory of the Well-fare Legami network, ready to use: the three ambiti, the
    comuni of the province of Cremona, and each comune's ambito from the project's copy
    of the shared data (``legami/data/ambiti_cremona.csv``). Safe to run again."""
    data = resources.files("legami").joinpath("data", "ambiti_cremona.csv")
    with transaction.atomic():
        ambiti = ambiti_ensure_default()
        comuni = comuni_import_from_codicefiscale(province=DEFAULT_PROVINCE)
        with data.open("rb") as file:
            assignments = comuni_assign_ambiti(file=file)
    return {"ambiti": ambiti, "comuni": comuni, "assignments": assignments}
