"""Every person reads Attenda in their language: the pt, es, ro and pl catalogues must hold every
string the code and templates use, translated, and compiled."""

import gettext
import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

import attenda

SOURCE = Path(attenda.__file__).parent
LOCALE = SOURCE / "locale"
LANGUAGES = ["pt", "es", "ro", "pl"]
GETTEXT_TOOLS = shutil.which("xgettext") and shutil.which("msgfmt")


def catalogue(language: str) -> polib.POFile:
    return polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_entry_is_translated_and_none_is_fuzzy(language):
    entries = catalogue(language)

    missing = [entry.msgid for entry in entries.untranslated_entries()]
    fuzzy = [entry.msgid for entry in entries.fuzzy_entries()]

    assert (missing, fuzzy) == ([], [])


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalogue_matches_its_source(language):
    with open(LOCALE / language / "LC_MESSAGES" / "django.mo", "rb") as compiled_file:
        compiled = gettext.GNUTranslations(compiled_file)

    stale = [
        entry.msgid
        for entry in catalogue(language).translated_entries()
        if compiled_text(compiled, entry)
        != (entry.msgstr_plural[0] if entry.msgid_plural else entry.msgstr)
    ]

    assert stale == []


def compiled_text(compiled: gettext.GNUTranslations, entry: polib.POEntry) -> str:
    if entry.msgid_plural:
        if entry.msgctxt:
            return compiled.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, 1)
        return compiled.ngettext(entry.msgid, entry.msgid_plural, 1)
    if entry.msgctxt:
        return compiled.pgettext(entry.msgctxt, entry.msgid)
    return compiled.gettext(entry.msgid)


def require_gettext_tools() -> None:
    if not GETTEXT_TOOLS:
        if os.environ.get("CI") == "true":
            pytest.fail(
                "xgettext and msgfmt are needed to check the catalogues (Debian package gettext)."
            )
        pytest.skip("gettext tools are not installed")


@pytest.mark.parametrize("language", LANGUAGES)
def test_placeholders_match_in_every_translation(language):
    require_gettext_tools()

    checked = subprocess.run(
        [
            "msgfmt",
            "--check-format",
            "-o",
            os.devnull,
            str(LOCALE / language / "LC_MESSAGES" / "django.po"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )

    assert checked.stderr == ""


def test_no_string_in_the_code_is_missing_from_the_catalogues(tmp_path):
    require_gettext_tools()
    copy = tmp_path / "attenda"
    shutil.copytree(SOURCE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    # makemessages writes into LOCALE_PATHS, so point them at the copy, never at the source tree.
    (tmp_path / "catalogue_settings.py").write_text(
        f"from attenda.settings import *\nLOCALE_PATHS = [{str(copy / 'locale')!r}]\n"
    )

    subprocess.run(
        [
            sys.executable,
            "-m",
            "django",
            "makemessages",
            "--locale",
            "pt",
            "--no-obsolete",
            "--no-location",
            "--ignore",
            "static/*",
        ],
        cwd=copy,
        check=True,
        capture_output=True,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "catalogue_settings",
            "PYTHONPATH": f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
            "ATTENDA_DATA_DIR": str(tmp_path / "data"),
        },
    )

    wanted = {
        (entry.msgctxt, entry.msgid)
        for entry in polib.pofile(str(copy / "locale/pt/LC_MESSAGES/django.po"))
    }
    committed = {(entry.msgctxt, entry.msgid) for entry in catalogue("pt")}
    assert sorted(wanted - committed, key=str) == []
