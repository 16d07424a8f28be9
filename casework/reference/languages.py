"""Languages and countries, named by the CLDR data Babel ships in the reader's language: the
person's languages and countries, an organisation's languages, an interpreter's language."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from babel import Locale
from flask_babel import get_locale

# What forms offer first: the languages and countries of birth most frequent among people who
# settle in Québec, in that order. ILLUSTRATIVE: MIFI publishes these figures (« L'immigration
# permanente au Québec », by country of birth and by language known), but they are not in the
# project's reference folder; this order follows the broad picture of recent years (France,
# China, North and West Africa, India, Iran, Haiti, Latin America, Ukraine) and is to be
# replaced by the published ranking (docs/architecture.md, « Forms »). Every other valid ISO code
# comes after, in alphabetical order, and is accepted.
COMMON_LANGUAGES = ("fr", "en", "ar", "es", "zh", "fa", "ht", "pt", "ru", "uk", "vi", "tl")
COMMON_COUNTRIES = (
    "FR",
    "CN",
    "DZ",
    "IN",
    "CM",
    "MA",
    "IR",
    "HT",
    "TN",
    "CI",
    "SY",
    "CO",
    "MX",
    "UA",
    "PH",
)

# Not languages a person speaks, so not offered (nor accepted): no linguistic content and
# undetermined (zxx, und, mis, mul), constructed languages (Klingon, Esperanto, Toki Pona…),
# and extinct or only classical, liturgical ones (Sumerian, Akkadian, Old English, Gothic…).
NOT_SPOKEN = frozenset(
    {
        # special codes of ISO 639
        "zxx", "und", "mis", "mul",
        # constructed
        "tlh", "eo", "ia", "ie", "io", "vo", "jbo", "lfn", "avk", "nov", "tok", "afh", "zbl",
        # extinct, ancient, classical or liturgical only
        "sux", "akk", "egy", "elx", "hit", "uga", "phn", "peo", "pal", "sog", "kho", "kaw",
        "got", "grc", "ang", "enm", "frm", "fro", "gmh", "goh", "dum", "mga", "sga", "non",
        "pro", "ota", "chg", "cop", "lzh", "nwc", "syc", "cu", "ae", "pi", "la", "arc", "sam",
        "gez", "prg",
    }
)  # fmt: skip


def _locale() -> Locale:
    return get_locale() or Locale.parse("fr_CA")


def language_name(code: str | None) -> str:
    if not code:
        return ""
    return _locale().languages.get(code, code)


def country_name(code: str | None) -> str:
    if not code:
        return ""
    return _locale().territories.get(code, code)


def is_language(code: str) -> bool:
    """An ISO 639 code of two or three letters that CLDR names (not « zh_Hans », « es_419 »)."""
    return (
        re.fullmatch(r"[a-z]{2,3}", code or "") is not None
        and code in Locale.parse("en").languages
        and code not in NOT_SPOKEN
    )


# CLDR territory codes that are not countries (unknown region, European Union, United Nations…).
NOT_COUNTRIES = frozenset({"ZZ", "EU", "EZ", "UN", "QO", "XA", "XB"})


def is_country(code: str) -> bool:
    return (
        len(code) == 2
        and code.isalpha()
        and code.isupper()
        and code not in NOT_COUNTRIES
        and code in Locale.parse("en").territories
    )


SEPARATOR = ("", "──────────", {"disabled": True})


def _common_then_all(common: tuple[str, ...], names: dict[str, str], valid) -> list[tuple]:
    """The frequent codes first (most frequent first), a separator, then every other valid
    code by name."""
    first = [(code, names.get(code, code)) for code in common]
    rest = sorted(
        ((code, name) for code, name in names.items() if valid(code) and code not in common),
        key=lambda item: _sort_key(item[1]),
    )
    return [*first, SEPARATOR, *rest]


def _sort_key(name: str) -> str:
    """« Égypte » between « Équateur » and « Espagne », not after « Zimbabwe »."""
    return unicodedata.normalize("NFD", name).encode("ascii", "ignore").decode().casefold()


def language_choices() -> list[tuple]:
    return list(_language_choices(str(_locale())))


def country_choices() -> list[tuple]:
    return list(_country_choices(str(_locale())))


# Built once per language (some 600 entries, filtered and sorted): every person form and the
# airport console show them.
@lru_cache(maxsize=8)
def _language_choices(locale: str) -> tuple[tuple, ...]:
    names = dict(Locale.parse(locale).languages)
    return tuple(_common_then_all(COMMON_LANGUAGES, names, is_language))


@lru_cache(maxsize=8)
def _country_choices(locale: str) -> tuple[tuple, ...]:
    names = dict(Locale.parse(locale).territories)
    return tuple(_common_then_all(COMMON_COUNTRIES, names, is_country))
