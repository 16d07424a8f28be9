"""French is complete: every translatable string in the code has a reviewed French translation."""

from pathlib import Path

from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
FRENCH = ROOT / "casework" / "translations" / "fr_CA" / "LC_MESSAGES"


def as_tuple(value) -> tuple:
    """Plural entries carry tuples (or lists, from .mo files); singular ones a string."""
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def extract_messages(tmp_path) -> set[str]:
    output = tmp_path / "messages.pot"
    CommandLineInterface().run(
        [
            "pybabel",
            "-q",
            "extract",
            "-F",
            str(ROOT / "babel.cfg"),
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "--no-location",
            "-o",
            str(output),
            str(ROOT),
        ]
    )
    with output.open("rb") as handle:
        return {message.id for message in read_po(handle) if message.id}


def read_french():
    with (FRENCH / "messages.po").open("rb") as handle:
        return read_po(handle, locale="fr_CA")


def test_every_string_has_a_french_translation_that_is_not_fuzzy(tmp_path):
    extracted = extract_messages(tmp_path)
    catalog = read_french()
    assert len(extracted) > 150
    missing = sorted(m for m in extracted if m not in catalog)
    fuzzy = sorted(m for m in extracted if m in catalog and catalog[m].fuzzy)
    untranslated = sorted(
        m for m in extracted if m in catalog and not all(as_tuple(catalog[m].string))
    )
    assert missing == [], f"not in fr_CA messages.po: {missing}"
    assert fuzzy == [], f"fuzzy: {fuzzy}"
    assert untranslated == [], f"empty translation: {untranslated}"


def test_compiled_catalog_matches_the_po_file():
    catalog = read_french()
    with (FRENCH / "messages.mo").open("rb") as handle:
        compiled = read_mo(handle)
    expected = {
        as_tuple(m.id): as_tuple(m.string)
        for m in catalog
        if m.id and all(as_tuple(m.string)) and not m.fuzzy
    }
    actual = {as_tuple(m.id): as_tuple(m.string) for m in compiled if m.id}
    assert actual == expected, "run `make translations` to recompile messages.mo"


def test_placeholders_are_kept_in_translations():
    import re

    placeholder = re.compile(r"%\(\w+\)[sd]")
    for message in read_french():
        if not message.id:
            continue
        wanted = sorted(placeholder.findall(as_tuple(message.id)[-1]))
        for translation in as_tuple(message.string):
            assert sorted(placeholder.findall(translation)) == wanted, message.id
