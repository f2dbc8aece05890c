"""Italian first, English available; the compiled catalogues are committed and current."""

from __future__ import annotations

from pathlib import Path

import polib
import pytest

from legami.i18n_compile import LOCALE_DIR

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language", ["it", "en"])
def test_catalogue_exists_and_compiled_file_matches_it(language):
    """The committed .mo holds exactly the translations of its .po (no gettext needed)."""
    po_path = LOCALE_DIR / language / "LC_MESSAGES" / "django.po"
    mo_path = po_path.with_suffix(".mo")
    assert po_path.exists() and mo_path.exists()
    po = {(e.msgctxt, e.msgid): e.msgstr for e in polib.pofile(str(po_path)).translated_entries()}
    mo = {(e.msgctxt, e.msgid): e.msgstr for e in polib.mofile(str(mo_path)) if e.msgid}
    assert mo == po, "stale .mo: run `make compilemessages`"


def test_every_italian_string_is_translated():
    """No string of the interface is left untranslated or fuzzy in Italian."""
    po = polib.pofile(str(Path(LOCALE_DIR, "it", "LC_MESSAGES", "django.po")))
    missing = [e.msgid for e in po if not e.obsolete and (not e.translated() or e.fuzzy)]
    assert missing == []


def test_pages_speak_italian_whatever_the_browser_asks(client):
    """A browser that prefers English still gets Italian until the person switches."""
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response["Content-Language"] == "it"
    assert '<html lang="it"' in response.content.decode()


def test_the_language_switch_changes_the_language(client):
    """Choosing English with the switch sets the cookie and the next page is English."""
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    page = client.get("/")
    assert page["Content-Language"] == "en"
    assert '<html lang="en"' in page.content.decode()


def test_a_users_saved_language_applies_without_a_cookie(client, make_user):
    user = make_user(language="en")
    client.force_login(user)
    assert client.get("/")["Content-Language"] == "en"


def test_italian_dates_read_as_italian_offices_write_them():
    """Dates in Italian have lower-case months and no leading zero: "1 gennaio 2025"."""
    import datetime as dt

    from django.template import Context, Template
    from django.utils import translation

    template = Template("{{ day|date }}")
    with translation.override("it"):
        assert template.render(Context({"day": dt.date(2025, 1, 1)})) == "1 gennaio 2025"
    with translation.override("en"):
        assert template.render(Context({"day": dt.date(2025, 1, 1)})) == "Jan. 1, 2025"
