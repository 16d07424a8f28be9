"""CSV as French Excel opens it: UTF-8 with a byte-order mark, « ; » between fields.

Excel in a French locale reads « , » as the decimal separator, so it expects « ; » between
fields and decimals written with a comma; without the BOM it reads UTF-8 as Windows-1252 and
accents come out garbled. LibreOffice and Python's csv module read the same file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _

from casework.core.time import utc_to_local

BOM = "\ufeff"
DELIMITER = ";"
# A cell starting with one of these is run as a formula by spreadsheets (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> str:
    """One value as text: dates in ISO order, times on Montréal's clock, decimal commas."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, datetime):
        return utc_to_local(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:.1f}".replace(".", ",")
    if isinstance(value, int):
        return str(value)
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def render(headers: Sequence[Any], rows: Iterable[Sequence[Any]]) -> bytes:
    """The whole file; with no rows, a valid file that holds the header line only."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=DELIMITER, lineterminator="\r\n")
    writer.writerow([str(header) for header in headers])
    for row in rows:
        writer.writerow([cell(value) for value in row])
    return (BOM + buffer.getvalue()).encode("utf-8")
