"""The texts of the messages to the person: files, one per kind, channel and language.

The packaged files (``messages/wording/<language>/<kind>.<channel>.txt``) are the defaults; an
administrator's edit is written to ``CASEWORK_MESSAGE_TEMPLATES_DIR`` and wins over them. An
e-mail's first line is its subject. Placeholders are ``{name}``; only the ones listed in
``PLACEHOLDERS`` exist, and a text naming another is refused with its line. Every message ends
with its channel's footer, which must keep ``{optout}``: each message says how to stop them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l

from casework.core.domain import DomainError
from casework.messages.models import CHANNELS, KINDS

PACKAGED = Path(__file__).parent / "wording"
LANGUAGES = ("fr", "en")
FALLBACK = "fr"
FOOTER = "footer"
NAMES = (*KINDS, FOOTER)
PLACEHOLDERS = {
    "name": _l("the person's first name"),
    "service": _l("the service's name (Accompagnement Québec)"),
    "date": _l("the appointment's date, in the person's language"),
    "time": _l("the appointment's time, in the person's time zone"),
    "zone": _l("the name of that time zone's city (Montréal…)"),
    "place": _l("the service point, or « by phone », « by video »"),
    "address": _l("the service point's address"),
    "phone": _l("the number to call to move or cancel"),
}
FOOTER_PLACEHOLDERS = {
    "language_note": _l("which language the message is in, and why"),
    "optout": _l("how to stop these messages (a link, or « reply STOP »)"),
}
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
MAX_SMS_TEMPLATE = 300
MAX_EMAIL_TEMPLATE = 5000


class TemplateError(DomainError):
    """A template refused on save; the message names the line."""


@dataclass(frozen=True)
class Rendered:
    language: str
    subject: str
    body: str


def file_name(name: str, channel: str) -> str:
    return f"{name}.{channel}.txt"


def _override_dir() -> Path:
    return Path(current_app.config["MESSAGE_TEMPLATES_DIR"])


def _check_known(language: str, name: str, channel: str) -> None:
    if language not in LANGUAGES or name not in NAMES or channel not in CHANNELS:
        raise LookupError(f"{language}/{name}.{channel}")


def source(language: str, name: str, channel: str) -> str:
    """The text in force: the administrator's edit, else the packaged default."""
    _check_known(language, name, channel)
    edited = _override_dir() / language / file_name(name, channel)
    if edited.is_file():
        return edited.read_text(encoding="utf-8")
    return (PACKAGED / language / file_name(name, channel)).read_text(encoding="utf-8")


def is_edited(language: str, name: str, channel: str) -> bool:
    return (_override_dir() / language / file_name(name, channel)).is_file()


def problems(text: str, name: str, channel: str) -> list[str]:
    """What is wrong with a template, each naming its line; empty when it may be saved."""
    allowed = FOOTER_PLACEHOLDERS if name == FOOTER else PLACEHOLDERS
    found: list[str] = []
    limit = MAX_SMS_TEMPLATE if channel == "sms" else MAX_EMAIL_TEMPLATE
    if not text.strip():
        return [str(_l("The text is empty."))]
    if len(text) > limit:
        found.append(str(_l("The text is longer than %(limit)d characters.", limit=limit)))
    for number, line in enumerate(text.splitlines(), start=1):
        for placeholder in PLACEHOLDER.findall(line):
            if placeholder not in allowed:
                found.append(
                    str(
                        _l(
                            "Line %(line)d: the placeholder {%(name)s} does not exist.",
                            line=number,
                            name=placeholder,
                        )
                    )
                )
        if line.count("{") != line.count("}"):
            found.append(str(_l("Line %(line)d: a brace is not closed.", line=number)))
    if name == FOOTER and "{optout}" not in text:
        found.append(str(_l("The footer must keep {optout}: every message says how to stop them.")))
    if channel == "email" and name != FOOTER:
        lines = text.splitlines()
        if not lines[0].strip() or len(lines[0]) > 200:
            found.append(str(_l("Line 1: the subject must be one line of at most 200 characters.")))
    return found


def save(language: str, name: str, channel: str, text: str) -> str:
    """Write an administrator's edit (the caller audits it); refused with the line at fault."""
    _check_known(language, name, channel)
    text = text.replace("\r\n", "\n").rstrip("\n") + "\n"
    found = problems(text, name, channel)
    if found:
        raise TemplateError(" ".join(found), "text")
    folder = _override_dir() / language
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / file_name(name, channel)
    partial = target.with_suffix(".tmp")
    partial.write_text(text, encoding="utf-8")
    partial.replace(target)
    return text


def reset(language: str, name: str, channel: str) -> bool:
    """Back to the packaged default; whether there was an edit."""
    _check_known(language, name, channel)
    edited = _override_dir() / language / file_name(name, channel)
    if edited.is_file():
        edited.unlink()
        return True
    return False


def _fill(text: str, values: dict[str, str]) -> str:
    # Unknown placeholders cannot be saved; a packaged one left over shows as written.
    return PLACEHOLDER.sub(lambda match: values.get(match.group(1), match.group(0)), text)


def language_for(preferred: str | None) -> str:
    """The person's language when a template exists in it, French otherwise."""
    return preferred if preferred in LANGUAGES else FALLBACK


def render(
    language: str, kind: str, channel: str, values: dict[str, str], footer: dict[str, str]
) -> Rendered:
    text = _fill(source(language, kind, channel), values)
    ending = _fill(source(language, FOOTER, channel), footer).strip()
    if channel == "email":
        subject, _newline, body = text.partition("\n")
        return Rendered(language, subject.strip(), body.strip("\n") + "\n\n" + ending + "\n")
    return Rendered(language, "", " ".join(text.split()) + " " + " ".join(ending.split()))
