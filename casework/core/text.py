"""Text folding for search and duplicate detection: accents, case and spelling variants."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[\W_]+")
# Letters Unicode does not decompose into a base letter plus an accent.
_STANDALONE_LETTERS = str.maketrans(
    {
        "đ": "d",
        "Đ": "D",
        "ı": "i",
        "ł": "l",
        "Ł": "L",
        "ø": "o",
        "Ø": "O",
        "ð": "d",
        "Ð": "D",
        "þ": "th",
        "Þ": "Th",
        "ħ": "h",
        "Ħ": "H",
        "ŀ": "l",
        "Ŀ": "L",
        "ß": "ss",
        "œ": "oe",
        "Œ": "OE",
        "æ": "ae",
        "Æ": "AE",
    }
)


def fold(text: str | None) -> str:
    """Lower-case, accents removed, ligatures expanded: « Hélène Œuvrard » → « helene oeuvrard »."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text.translate(_STANDALONE_LETTERS))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def tokens(text: str | None) -> list[str]:
    """Folded words and numbers, in order, in any script: « AQ-2026-000123 » → ['aq', '2026',
    '000123']; « Мария Иванова » → ['мария', 'иванова']."""
    return [token for token in _NON_WORD.split(fold(text)) if token]


# Abbreviations of place names as people type them: « St-Jérôme », « Ste-Julie ».
_PLACE_ABBREVIATIONS = {"st": "saint", "ste": "sainte"}


def place_key(name: str | None) -> str:
    """A city name folded for comparison: « L’Ange-Gardien », « l'ange gardien » → « l ange
    gardien »; « St-Jérôme » → « saint jerome »."""
    return " ".join(_PLACE_ABBREVIATIONS.get(token, token) for token in tokens(name))


def digits(text: str | None) -> str:
    return "".join(ch for ch in (text or "") if ch.isdigit())


_PHONETIC_RULES = (
    (re.compile(r"ph"), "f"),
    (re.compile(r"(qu|ck|q)"), "k"),
    (re.compile(r"c(?=[eiy])"), "s"),
    (re.compile(r"c"), "k"),
    (re.compile(r"gu(?=[eiy])"), "g"),
    (re.compile(r"(?<=[^cs])h|^h"), ""),
    (re.compile(r"[zx]"), "s"),
    (re.compile(r"w"), "v"),
    (re.compile(r"dj|j"), "j"),
)


def phonetic_key(text: str | None) -> str:
    """A spelling-tolerant key: Mohamed / Mohammed / Muhammad → « mhmd »; Tremblay / Tremblé → « trmbl ».

    First letter kept, vowels after it dropped, doubled consonants collapsed: a coarse key
    meant only to find candidates, which are then scored.
    """
    word = "".join(tokens(text))
    if not word or not word.isascii():
        # The rules below are for Latin spellings; other scripts keep their folded form.
        return word[:12]
    for pattern, replacement in _PHONETIC_RULES:
        word = pattern.sub(replacement, word)
    first, rest = word[0], re.sub(r"[aeiouy]", "", word[1:])
    collapsed = re.sub(r"(.)\1+", r"\1", first + rest)
    return collapsed[:12]
