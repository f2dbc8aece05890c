"""The territory: comuni from python-codicefiscale and from ISTAT's list, ambiti, and the
default territory of the province of Cremona."""

from __future__ import annotations

import codecs
import io
from collections import Counter
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from legami.models import Ambito, Comune
from legami.services import (
    ImportResult,
    TerritoryImportError,
    ambiti_ensure_default,
    comuni_assign_ambiti,
    comuni_import_from_codicefiscale,
    comuni_import_from_istat_csv,
    territory_load_default,
)
from tests.legami.factories import AmbitoFactory, ComuneFactory

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
ISTAT_SAMPLE = DATA / "istat_comuni_sample.csv"
PROJECT_AMBITI_CSV = Path(__file__).parents[2] / "legami" / "data" / "ambiti_cremona.csv"
# The comuni of the sample (see data/README.md) and the line each is on.
SAMPLE_CR = {
    "A039": ("019001", "Acquanegra Cremonese", 5),
    "A076": ("019002", "Agnadello", 6),
    "B898": ("019021", "Casalmaggiore", 7),
    "D142": ("019035", "Crema", 8),
    "D150": ("019036", "Cremona", 9),
}


def snapshot() -> list[tuple]:
    """Every comune as a tuple, to compare the database before and after."""
    return list(
        Comune.objects.order_by("belfiore_code").values_list(
            "belfiore_code", "istat_code", "name", "province", "ambito_id", "is_active"
        )
    )


def sample_file() -> io.BytesIO:
    """The sample, as an uploaded file would be."""
    return io.BytesIO(ISTAT_SAMPLE.read_bytes())


def sample_text() -> str:
    return ISTAT_SAMPLE.read_bytes().decode("cp1252")


def as_file(text: str, encoding: str = "cp1252") -> io.BytesIO:
    return io.BytesIO(text.encode(encoding))


def csv_file(text: str) -> io.BytesIO:
    return io.BytesIO(text.encode("utf-8"))


@pytest.fixture(autouse=True)
def english():
    """The messages below are asserted in English (Italian is the default)."""
    with translation.override("en"):
        yield


@pytest.fixture
def ambiti() -> dict[str, Ambito]:
    ambiti_ensure_default()
    return Ambito.objects.in_bulk(field_name="code")


# --- python-codicefiscale ------------------------------------------------------------------


def test_codicefiscale_import_creates_the_active_comuni_of_the_province():
    """The 113 comuni that exist today in the province of Cremona are created, active,
    with the usual Italian spelling of their names; no other province is touched."""
    other = ComuneFactory(belfiore_code="A074", name="Agliè", province="TO")

    result = comuni_import_from_codicefiscale(province="cr")

    assert result == ImportResult(created=113)
    assert Comune.objects.filter(province="CR", is_active=True).count() == 113
    names = dict(Comune.objects.values_list("belfiore_code", "name"))
    assert names["D150"] == "Cremona"
    assert names["H918"] == "San Giovanni in Croce"
    assert names["H357"] == "Rivolta d'Adda"
    assert names["B890"] == "Casaletto di Sopra"
    # Piadena and Drizzona merged in 2019: only the new comune is active.
    assert names["M418"] == "Piadena Drizzona"
    assert "G536" not in names
    other.refresh_from_db()
    assert (other.name, other.province, other.is_active) == ("Agliè", "TO", True)


def test_a_second_codicefiscale_import_changes_nothing():
    """A second import changes nothing and says so."""
    comuni_import_from_codicefiscale(province="CR")
    before = snapshot()

    result = comuni_import_from_codicefiscale(province="CR")

    assert result == ImportResult(unchanged=113)
    assert result.changed == 0
    assert snapshot() == before


def test_codicefiscale_import_deactivates_comuni_that_no_longer_exist():
    """A comune of the province that the data no longer lists as active is deactivated,
    never deleted; a comune listed again is reactivated and renamed."""
    piadena = ComuneFactory(belfiore_code="G536", name="Piadena", province="CR")
    cremona = ComuneFactory(
        belfiore_code="D150", name="Cremona Ed Uniti", province="CR", is_active=False
    )

    result = comuni_import_from_codicefiscale(province="CR")

    assert result == ImportResult(created=112, updated=1, deactivated=1)
    piadena.refresh_from_db()
    assert piadena.is_active is False
    cremona.refresh_from_db()
    assert (cremona.name, cremona.is_active) == ("Cremona", True)
    assert comuni_import_from_codicefiscale(province="CR").changed == 0


def test_codicefiscale_import_keeps_the_official_casing_of_a_name():
    """A name that differs only in letter case (ISTAT's spelling) is left as it is."""
    ComuneFactory(belfiore_code="D150", name="CREMONA", province="CR", istat_code="019036")

    result = comuni_import_from_codicefiscale(province="CR")

    assert (result.created, result.updated, result.unchanged) == (112, 0, 1)
    assert Comune.objects.get(belfiore_code="D150").name == "CREMONA"


@pytest.mark.parametrize("province", ["Cremona", "", "C1"])
def test_codicefiscale_import_refuses_a_bad_province(province):
    """A province that is not a two-letter code is refused, and nothing is created."""
    with pytest.raises(TerritoryImportError, match="two-letter"):
        comuni_import_from_codicefiscale(province=province)
    assert not Comune.objects.exists()


def test_codicefiscale_import_refuses_an_unknown_province():
    """A province without active comuni in the data is an error, not an empty import."""
    with pytest.raises(TerritoryImportError, match="ZZ"):
        comuni_import_from_codicefiscale(province="ZZ")


# --- ISTAT's CSV ---------------------------------------------------------------------------


def test_istat_import_reads_the_windows_1252_file_of_one_province():
    """The ISTAT file, as published, creates the comuni of the province with their codes."""
    result = comuni_import_from_istat_csv(file=sample_file(), province="CR")

    assert result == ImportResult(created=5)
    rows = {
        c.belfiore_code: (c.istat_code, c.name)
        for c in Comune.objects.filter(province="CR", is_active=True)
    }
    assert rows == {code: (istat, name) for code, (istat, name, _line) in SAMPLE_CR.items()}
    assert not Comune.objects.filter(province="TO").exists()


@pytest.mark.parametrize(
    "make_file",
    [
        pytest.param(lambda text: as_file(text, "cp1252"), id="cp1252"),
        pytest.param(lambda text: as_file(text, "utf-8"), id="utf-8"),
        pytest.param(lambda text: io.BytesIO(codecs.BOM_UTF8 + text.encode()), id="utf-8-bom"),
        pytest.param(io.StringIO, id="text"),
    ],
)
def test_istat_import_accepts_every_usual_encoding(make_file):
    """Windows-1252, UTF-8 with or without BOM, or an already-decoded text file: the
    accented names come out right, and without a province every row is imported."""
    result = comuni_import_from_istat_csv(file=make_file(sample_text()))

    assert result.created == 6
    aglie = Comune.objects.get(belfiore_code="A074")
    assert (aglie.name, aglie.istat_code, aglie.province) == ("Agliè", "001001", "TO")


def test_istat_import_fills_in_codes_and_a_second_import_changes_nothing():
    """After the codicefiscale import, ISTAT's list adds the codes; a second run changes
    nothing."""
    comuni_import_from_codicefiscale(province="CR")
    assert not Comune.objects.filter(istat_code__isnull=False).exists()

    first = comuni_import_from_istat_csv(file=sample_file(), province="CR")
    before = snapshot()
    second = comuni_import_from_istat_csv(file=sample_file(), province="CR")

    assert first == ImportResult(updated=5)
    assert second == ImportResult(unchanged=5)
    assert snapshot() == before
    assert Comune.objects.get(belfiore_code="D142").istat_code == "019035"
    assert Comune.objects.filter(province="CR").count() == 113


def test_istat_import_moves_codes_between_comuni():
    """Codes that a file moves from one comune to another are swapped without tripping
    the uniqueness of ISTAT codes."""
    ComuneFactory(belfiore_code="D142", name="Crema", istat_code="019036")
    ComuneFactory(belfiore_code="D150", name="Cremona", istat_code="019035")

    comuni_import_from_istat_csv(file=sample_file(), province="CR")

    codes = dict(Comune.objects.values_list("belfiore_code", "istat_code"))
    assert (codes["D142"], codes["D150"]) == ("019035", "019036")


def test_istat_import_with_missing_columns_changes_nothing():
    """A file without ISTAT's columns is refused, naming what is missing."""
    ComuneFactory(belfiore_code="D150", name="Cremona")
    before = snapshot()
    text = "Codice Comune formato alfanumerico;Denominazione in italiano\n019036;Cremona\n"

    with pytest.raises(TerritoryImportError) as error:
        comuni_import_from_istat_csv(file=as_file(text))

    assert error.value.lines == [1]
    assert "Sigla automobilistica" in str(error.value)
    assert "Codice Catastale del comune" in str(error.value)
    assert snapshot() == before


def test_istat_import_with_malformed_codes_lists_the_lines_and_changes_nothing():
    """Malformed codes anywhere in the file stop the whole import: the good rows before
    them are not written either, and the message names every bad line."""
    ComuneFactory(belfiore_code="D150", name="Cremona", istat_code=None)
    before = snapshot()
    text = (
        sample_text()
        .replace(";019021;", ";19021;")  # line 7: ISTAT code lost its leading zero
        .replace(";D142;", ";D14;")  # line 8: Belfiore code too short
    )

    with pytest.raises(TerritoryImportError) as error:
        comuni_import_from_istat_csv(file=as_file(text), province="CR")

    assert error.value.lines == [7, 8]
    message = str(error.value)
    assert "line 7" in message and "'19021'" in message
    assert "line 8" in message and "'D14'" in message
    assert "nothing was changed" in message
    assert snapshot() == before


def test_istat_import_refuses_a_code_that_another_comune_holds():
    """An ISTAT code already held by a comune that the file does not recode is refused."""
    ComuneFactory(belfiore_code="Z001", name="Altro", istat_code="019035")
    before = snapshot()

    with pytest.raises(TerritoryImportError) as error:
        comuni_import_from_istat_csv(file=sample_file(), province="CR")

    assert error.value.lines == [SAMPLE_CR["D142"][2]]
    assert snapshot() == before


def test_istat_import_refuses_repeated_rows():
    """The same comune twice in one file is an error on the second line."""
    lines = sample_text().split("\r\n")
    text = "\r\n".join([*lines[:-1], lines[-2], ""])  # Cremona again, on line 10

    with pytest.raises(TerritoryImportError) as error:
        comuni_import_from_istat_csv(file=as_file(text), province="CR")

    assert error.value.lines == [10]
    assert "line 9" in str(error.value)
    assert not Comune.objects.exists()


# --- Ambiti ------------------------------------------------------------------------------


def test_default_ambiti_are_created_once():
    """The three ambiti of the province are created with their managing bodies; a
    second call changes nothing, and a changed default is put back."""
    assert ambiti_ensure_default() == ImportResult(created=3)
    assert ambiti_ensure_default() == ImportResult(unchanged=3)
    assert dict(Ambito.objects.values_list("code", "managing_body")) == {
        "cremona": "Azienda Sociale Cremonese",
        "crema": "Comunità Sociale Cremasca",
        "casalmaggiore": "Consorzio Casalasco Servizi Sociali",
    }
    Ambito.objects.filter(code="crema").update(is_active=False, managing_body="x")
    assert ambiti_ensure_default() == ImportResult(updated=1, unchanged=2)
    assert Ambito.objects.get(code="crema").is_active


def test_assign_ambiti_by_istat_code_matches_codes_and_names_in_any_case(ambiti):
    """An ambito can be named by its code, its name, or its name without "Ambito di",
    in any case; a second run changes nothing."""
    comuni_import_from_istat_csv(file=sample_file(), province="CR")
    text = (
        "istat_code,ambito\n"
        "019035,crema\n"
        "019036,Ambito di Cremona\n"
        "019021,CASALMAGGIORE\n"
        "019001,cremona\n"
    )

    first = comuni_assign_ambiti(file=csv_file(text))
    second = comuni_assign_ambiti(file=csv_file(text))

    assert first == ImportResult(updated=4)
    assert second == ImportResult(unchanged=4)
    assigned = dict(Comune.objects.values_list("belfiore_code", "ambito__code"))
    assert assigned == {
        "D142": "crema",
        "D150": "cremona",
        "B898": "casalmaggiore",
        "A039": "cremona",
        "A076": None,  # not in the file: left as it was
    }


def test_assign_ambiti_by_belfiore_code_with_semicolons_and_extra_columns(ambiti):
    """The shared data's layout (belfiore_code, name, ambito, …) works, semicolons too."""
    ComuneFactory(belfiore_code="D142", name="Crema", ambito=ambiti["cremona"])
    text = "belfiore_code;name;ambito;confirmed\nd142;Crema;Crema;yes\n"

    assert comuni_assign_ambiti(file=csv_file(text)) == ImportResult(updated=1)
    assert Comune.objects.get(belfiore_code="D142").ambito == ambiti["crema"]


def test_assign_ambiti_with_unknown_names_lists_the_lines_and_changes_nothing(ambiti):
    """An unknown comune or ambito stops the whole assignment; the good line between
    them is not applied."""
    ComuneFactory(belfiore_code="D142", name="Crema")
    ComuneFactory(belfiore_code="D150", name="Cremona")
    before = snapshot()
    text = "belfiore_code,ambito\nD142,Lodi\nD150,Cremona\nX999,Crema\n"

    with pytest.raises(TerritoryImportError) as error:
        comuni_assign_ambiti(file=csv_file(text))

    assert error.value.lines == [2]
    assert "'Lodi'" in str(error.value)
    assert snapshot() == before

    with pytest.raises(TerritoryImportError) as error:
        comuni_assign_ambiti(file=csv_file(text.replace("Lodi", "Crema")))

    assert error.value.lines == [4]
    assert "X999" in str(error.value)
    assert snapshot() == before


@pytest.mark.parametrize(
    ("text", "lines", "fragment"),
    [
        ("comune,ambito\nD150,Cremona\n", [1], "istat_code"),
        ("belfiore_code,ambito\nD150,\n", [2], "empty"),
        ("belfiore_code,ambito\nD150,Cremona\nD150,Crema\n", [3], "line 2"),
        ("belfiore_code,ambito\nD150,Vecchio\n", [2], "not active"),
        ("belfiore_code,ambito\nD150,Doppio\n", [2], "could be any"),
        ("belfiore_code,ambito\n", [], "no comune"),
    ],
)
def test_assign_ambiti_refuses_bad_files(ambiti, text, lines, fragment):
    """Bad headers, empty cells, repeated comuni, inactive or ambiguous ambiti: refused."""
    AmbitoFactory(code="vecchio", name="Ambito di Vecchio", is_active=False)
    AmbitoFactory(code="doppio", name="Ambito di Uno")
    AmbitoFactory(code="altro", name="Doppio")
    ComuneFactory(belfiore_code="D150", name="Cremona")
    before = snapshot()

    with pytest.raises(TerritoryImportError) as error:
        comuni_assign_ambiti(file=csv_file(text))

    assert error.value.lines == lines
    assert fragment in str(error.value)
    assert snapshot() == before


# --- The default territory -----------------------------------------------------------------


def test_default_territory_puts_every_comune_of_cremona_in_its_ambito():
    """All 113 comuni of the province have an ambito: 48 Crema, 48 Cremona, 17
    Casalmaggiore; loading it again changes nothing."""
    results = territory_load_default()

    assert results["comuni"].created == 113
    assert results["assignments"].updated == 113
    comuni = Comune.objects.filter(province="CR", is_active=True)
    assert comuni.count() == 113
    assert not comuni.filter(ambito__isnull=True).exists()
    counts = Counter(comuni.values_list("ambito__code", flat=True))
    assert counts == {"crema": 48, "cremona": 48, "casalmaggiore": 17}
    assert Comune.objects.get(belfiore_code="D142").ambito.code == "crema"
    assert Comune.objects.get(belfiore_code="B898").ambito.code == "casalmaggiore"

    before = snapshot()
    again = territory_load_default()
    assert [r.changed for r in again.values()] == [0, 0, 0]
    assert snapshot() == before


def test_default_territory_names_match_the_shared_data():
    """The names that the import writes are those of the project's ambiti CSV."""
    territory_load_default()
    lines = PROJECT_AMBITI_CSV.read_text(encoding="utf-8").splitlines()[1:]
    expected = {line.split(",")[0]: line.split(",")[1] for line in lines}
    assert dict(Comune.objects.values_list("belfiore_code", "name")) == expected


# --- Commands ------------------------------------------------------------------------------


def test_import_comuni_command_prints_one_summary_line():
    """The command imports and prints a one-line summary."""
    out = io.StringIO()
    call_command("import_comuni", province="CR", stdout=out)
    assert out.getvalue().strip().splitlines() == [
        "Comuni of CR from the codicefiscale data: "
        "113 created, 0 updated, 0 deactivated, 0 unchanged."
    ]


def test_import_comuni_command_reads_an_istat_file():
    out = io.StringIO()
    call_command("import_comuni", "--province", "CR", "--istat-csv", str(ISTAT_SAMPLE), stdout=out)
    assert "5 created" in out.getvalue()
    assert Comune.objects.count() == 5


def test_import_comuni_command_fails_with_the_error(tmp_path):
    """Bad input ends the command with an error that lists the bad lines."""
    bad = tmp_path / "comuni.csv"
    bad.write_bytes(sample_text().replace(";D142;", ";D14;").encode("cp1252"))

    with pytest.raises(CommandError, match="line 8"):
        call_command("import_comuni", "--istat-csv", str(bad))
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_comuni", "--istat-csv", str(tmp_path / "missing.csv"))
    with pytest.raises(CommandError, match="--province"):
        call_command("import_comuni")
    assert not Comune.objects.exists()


def test_assign_ambiti_command(ambiti, tmp_path):
    """The command assigns from a file and fails with the lines at fault."""
    comuni_import_from_codicefiscale(province="CR")
    out = io.StringIO()

    call_command("assign_ambiti", str(PROJECT_AMBITI_CSV), stdout=out)

    assert "113 updated" in out.getvalue()
    assert len(out.getvalue().strip().splitlines()) == 1
    bad = tmp_path / "ambiti.csv"
    bad.write_text("belfiore_code,ambito\nD150,Lodi\n", encoding="utf-8")
    with pytest.raises(CommandError, match="line 2"):
        call_command("assign_ambiti", str(bad))


@pytest.mark.django_db
def test_load_territory_command_loads_the_default_territory_once():
    """`load_territory` gives a new installation the 113 comuni with their ambito; a
    second run changes nothing."""
    call_command("load_territory", stdout=io.StringIO())
    counts = Counter(
        Comune.objects.filter(province="CR", is_active=True).values_list("ambito__code", flat=True)
    )
    assert counts == {"crema": 48, "cremona": 48, "casalmaggiore": 17}
    out = io.StringIO()
    with translation.override("en"):
        call_command("load_territory", stdout=out)
    assert "comuni: 0 created, 0 updated, 0 deactivated, 113 unchanged" in out.getvalue()
