"""Files to upload, made here: a real PDF (reportlab), JPEG and PNG (Pillow), a HEIC's header,
a DOCX and an ODT (their ZIP packages), and the hostile ones."""

from __future__ import annotations

import io
import zipfile

from PIL import Image
from reportlab.pdfgen import canvas

from tests.clamav import EICAR


def pdf(text: str = "Diplôme d'études collégiales") -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 750, text)
    page.save()
    return buffer.getvalue()


def image(kind: str = "JPEG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (40, 90, 160)).save(buffer, kind)
    return buffer.getvalue()


def heic(major: bytes = b"heic", compatible: bytes = b"mif1heicmiaf") -> bytes:
    """The start of an iPhone photo: an ISO-BMFF « ftyp » box of brand heic (what identifies
    the format; decoding it is the reader's business). Other phones write the generic brand
    « mif1 » first, and HEVC among the compatible brands."""
    ftyp = b"ftyp" + major + b"\x00\x00\x00\x00" + compatible
    box = len(ftyp) + 4
    return box.to_bytes(4, "big") + ftyp + b"\x00\x00\x00\x08free" + bytes(200)


def docx(extra: dict[str, bytes] | None = None, macro: bool = False) -> bytes:
    kind = (
        "application/vnd.ms-word.document.macroEnabled.main+xml"
        if macro
        else "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
    )
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            f'content-types"><Override PartName="/word/document.xml" ContentType="{kind}"/></Types>'
        ).encode(),
        "_rels/.rels": b'<?xml version="1.0"?><Relationships/>',
        "word/document.xml": b'<?xml version="1.0"?><w:document/>',
        **(extra or {}),
    }
    return _zip(parts)


def odt() -> bytes:
    return _zip(
        {
            "mimetype": b"application/vnd.oasis.opendocument.text",
            "content.xml": b'<?xml version="1.0"?><office:document-content/>',
            "META-INF/manifest.xml": b'<?xml version="1.0"?><manifest:manifest/>',
        }
    )


def _zip(parts: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in parts.items():
            compress = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            archive.writestr(zipfile.ZipInfo(name), data, compress_type=compress)
    return buffer.getvalue()


def eicar_zip() -> bytes:
    """The EICAR file inside a ZIP (to be named « .pdf »)."""
    return _zip({"diplome.com": EICAR})


def pdf_html_polyglot() -> bytes:
    """A file that PDF readers open and that a browser sniffing it would run as a page."""
    return (
        b"%PDF-1.4\n<html><body><script>alert(document.cookie)</script></body></html>\n" + pdf()[9:]
    )


def html_then_pdf() -> bytes:
    """The other polyglot: a page first, a PDF within the first kilobyte (readers accept it)."""
    return b"<!doctype html><html><script>alert(1)</script></html>\n" + pdf()
