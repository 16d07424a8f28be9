"""What an uploaded file is: its name checked, its type decided from its bytes (magic numbers,
with ``puremagic``), never from its name or from what the browser claims.

A file is accepted only when its content is one of the kinds below, its name's extension (when it
has one) agrees with that content, and nothing in it makes it something else as well (a PDF that
a browser would also read as HTML, a Word document with macros).
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

import puremagic
from flask_babel import lazy_gettext as _l

from casework.core.domain import DomainError

NAME_MAX = 200
HEAD_BYTES = 4096


class ContentRefused(DomainError):
    """The file is not one the service keeps; the message says why, for the person uploading."""

    def __init__(self, message, reason: str):
        super().__init__(message, field="file")
        self.reason = reason  # a code for the audit trail (never the file's name)


@dataclass(frozen=True)
class Kind:
    code: str
    content_type: str
    extensions: tuple[str, ...]
    label: str
    image: bool = False  # shown in a preview page (browsers display it)


KINDS = {
    kind.code: kind
    for kind in (
        Kind("pdf", "application/pdf", (".pdf",), "PDF"),
        Kind("jpeg", "image/jpeg", (".jpg", ".jpeg"), "JPEG", image=True),
        Kind("png", "image/png", (".png",), "PNG", image=True),
        Kind("heic", "image/heic", (".heic", ".heif"), "HEIC"),
        Kind(
            "docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            (".docx",),
            "Word (DOCX)",
        ),
        Kind("odt", "application/vnd.oasis.opendocument.text", (".odt",), "OpenDocument (ODT)"),
    )
}
# puremagic's answer (MIME type) → our kind. Office and OpenDocument files are ZIP packages:
# a magic number only says « ZIP », so their kind is read from the package's parts.
_DETECTED = {
    "application/pdf": "pdf",
    "image/jpeg": "jpeg",
    "image/png": "png",
    "image/heic": "heic",
    "image/heif": "heic",
}
_PACKAGES = frozenset(
    {
        "application/zip",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.ms-excel.sheet.binary.macroenabled.12",
        "application/vnd.oasis.opendocument.text",
    }
)
# A name whose inner suffix is one of these hides one type behind another (« diplome.exe.pdf »).
_TYPE_SUFFIXES = frozenset(
    (
        *(ext.lstrip(".") for kind in KINDS.values() for ext in kind.extensions),
        *("exe", "com", "bat", "cmd", "scr", "pif", "msi", "dll", "js", "jse", "vbs", "vbe"),
        *("wsf", "ps1", "sh", "jar", "apk", "html", "htm", "xhtml", "svg", "php", "hta", "lnk"),
        *("zip", "rar", "7z", "doc", "docm", "xls", "xlsm", "ppt", "pptm", "rtf", "txt", "gif"),
        *("tif", "tiff", "bmp", "webp"),
    )
)
# Bytes a browser would take for markup if it ever sniffed the file (a PDF/HTML polyglot).
_MARKUP = re.compile(
    rb"<\s*(?:!doctype\s+html|html|head|body|script|iframe|svg|object|embed|meta|img|a\s)",
    re.IGNORECASE,
)


def checked_name(raw: str | None) -> str:
    """The file name as given, if it is an acceptable one; otherwise ContentRefused."""
    name = raw or ""
    if not name.strip():
        raise ContentRefused(_l("The file has no name. Choose the file again."), "name_missing")
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in name):
        raise ContentRefused(
            _l(
                "The file name contains invisible control characters. Rename the file, then try again."
            ),
            "name_control",
        )
    if len(name) > NAME_MAX:
        raise ContentRefused(
            _l(
                "The file name is too long (at most %(max)d characters). Rename the file, then try again.",
                max=NAME_MAX,
            ),
            "name_length",
        )
    if "/" in name or "\\" in name or name.strip(". ") in ("", "..") or name.startswith("."):
        raise ContentRefused(
            _l(
                "The file name is not valid (it looks like a path). Rename the file, then try again."
            ),
            "name_path",
        )
    suffixes = [part.lower() for part in name.split(".")[1:]]
    if len(suffixes) >= 2 and suffixes[-2] in _TYPE_SUFFIXES:
        raise ContentRefused(
            _l(
                "The file name has two extensions (« %(name)s »). Rename the file with a single extension, then try again.",
                name=name,
            ),
            "double_extension",
        )
    return unicodedata.normalize("NFC", name.strip())


def detect(path: Path, name: str) -> Kind:
    """The kind of the file at ``path``, decided from its content; ContentRefused when it is not
    one of ``KINDS``, when ``name``'s extension says otherwise, or when it is also something
    else."""
    with path.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
    kind = _guess(path, head)
    if kind is None:
        raise ContentRefused(
            _l(
                "This type of file is not accepted. Send a PDF, a photo (JPEG, PNG, HEIC) or a text document (DOCX, ODT)."
            ),
            "type",
        )
    extension = _type_extension(name)
    if extension and extension not in kind.extensions:
        raise ContentRefused(
            _l(
                "The file's name ends in « %(extension)s » but its content is a %(kind)s file. Check that it is the right file.",
                extension=extension,
                kind=kind.label,
            ),
            "extension_mismatch",
        )
    if _MARKUP.search(head[:1024]):
        raise ContentRefused(
            _l(
                "This file also contains web page code, which is not accepted. Save it again as a plain document."
            ),
            "polyglot",
        )
    if kind.code in ("docx", "odt"):
        _check_package(path, kind)
    return kind


def _type_extension(name: str) -> str:
    """The name's extension when it names a type (« .pdf »), else "" (« scan 2019.05 »)."""
    suffix = Path(name).suffix.lower()
    return suffix if suffix.lstrip(".") in _TYPE_SUFFIXES else ""


def with_extension(name: str, kind: Kind) -> str:
    """A name without its type's extension gets it (a download must open in the right program)."""
    if _type_extension(name):
        return name
    return f"{name[: NAME_MAX - 5]}{kind.extensions[0]}"


# ISO-BMFF brands of HEIF images coded in HEVC: what phones save as « .heic ». Some write the
# generic « mif1 » (or « msf1 ») as the major brand and say HEVC in the compatible brands, which
# puremagic does not read.
_HEIC_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs"})


def _is_heic(head: bytes) -> bool:
    """Whether ``head`` opens with an « ftyp » box that names a HEVC-coded HEIF image."""
    size = int.from_bytes(head[:4], "big")
    if len(head) < 16 or head[4:8] != b"ftyp" or not 16 <= size <= len(head):
        return False
    major = head[8:12]
    compatible = {head[at : at + 4] for at in range(16, size - 3, 4)}
    return major in _HEIC_BRANDS or (
        major in (b"mif1", b"msf1") and bool(compatible & _HEIC_BRANDS)
    )


def _guess(path: Path, head: bytes) -> Kind | None:
    """puremagic reads the bytes only (no file name, so the name cannot sway it); among its most
    likely answers, the first that is a kind we keep."""
    fallback = KINDS["heic"] if _is_heic(head) else None
    try:
        with path.open("rb") as handle:
            matches = puremagic.magic_stream(handle)
    except (puremagic.PureError, ValueError, OSError):
        return fallback
    if not matches:
        return fallback
    best = max(match.confidence for match in matches)
    for match in matches:
        if match.confidence < best:
            continue
        mime = match.mime_type.lower()
        if mime in _PACKAGES:
            return _package_kind(path)
        code = _DETECTED.get(mime)
        if code == "pdf" and not head.startswith(b"%PDF-"):
            # Readers accept a PDF header anywhere in the first kilobyte; whatever comes first
            # is what another program sees. Only a file that starts as a PDF is one.
            return None
        if code is not None:
            return KINDS[code]
    return fallback


def _package_kind(path: Path) -> Kind | None:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                return (
                    KINDS["odt"]
                    if archive.read("mimetype").strip() == KINDS["odt"].content_type.encode()
                    else None
                )
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError):
        return None
    return KINDS["docx"] if "word/document.xml" in names else None


def _check_package(path: Path, kind: Kind) -> None:
    """A DOCX or ODT is a ZIP: its parts must be those of a text document, without macros."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if kind.code == "odt":
                valid, types = archive.read("mimetype").strip() == kind.content_type.encode(), b""
            else:
                types = archive.read("[Content_Types].xml")
                valid = "word/document.xml" in names
            has_macros = b"macroenabled" in types.lower() or any(
                n.lower().endswith("vbaproject.bin") or n.startswith("Basic/") for n in names
            )
    except (zipfile.BadZipFile, KeyError, OSError, RuntimeError, NotImplementedError):
        valid, has_macros = False, False
    if has_macros:
        raise ContentRefused(
            _l("Documents with macros are not accepted. Save the document again without macros."),
            "macros",
        )
    if not valid:
        raise ContentRefused(
            _l("The document is damaged or is not a %(kind)s document.", kind=kind.label),
            "damaged",
        )
