"""Languages and countries, named by the CLDR data Babel ships in the reader's language: the
person's languages and countries, an organisation's languages, an interpreter's language."""

from __future__ import annotations

import re
from functools import lru_cache

from babel import Locale
from flask_babel import get_locale

# The short lists below are what forms offer first (the languages and countries of birth most
# frequent among newcomers to Québec: an illustrative ordering); any valid ISO code is accepted.
COMMON_LANGUAGES = (
    "fr",
    "en",
    "es",
    "ar",
    "zh",
    "fa",
    "uk",
    "ru",
    "pt",
    "ht",
    "vi",
    "tl",
    "hi",
    "pa",
    "ur",
    "ta",
    "bn",
    "so",
    "sw",
    "ti",
    "am",
    "tr",
    "ro",
    "ln",
    "wo",
    "ff",
    "rw",
    "ko",
    "ja",
    "ps",
    "ku",
    "ne",
    "my",
)
COMMON_COUNTRIES = (
    "FR",
    "CN",
    "IN",
    "DZ",
    "MA",
    "TN",
    "CM",
    "CI",
    "SN",
    "HT",
    "CO",
    "MX",
    "BR",
    "IR",
    "SY",
    "LB",
    "AF",
    "UA",
    "PH",
    "VN",
    "CD",
    "BI",
    "RW",
    "ER",
    "ET",
    "NG",
    "PK",
    "BD",
    "VE",
    "PE",
    "US",
    "BE",
    "CH",
    "RO",
    "TR",
    "KR",
    "SO",
    "GN",
    "ML",
    "BF",
    "NP",
)


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
        re.fullmatch(r"[a-z]{2,3}", code or "") is not None and code in Locale.parse("en").languages
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
    """The frequent codes first, a separator, then every other valid code, each by name."""
    first = sorted(((code, names.get(code, code)) for code in common), key=lambda item: item[1])
    rest = sorted(
        ((code, name) for code, name in names.items() if valid(code) and code not in common),
        key=lambda item: item[1],
    )
    return [*first, SEPARATOR, *rest]


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
