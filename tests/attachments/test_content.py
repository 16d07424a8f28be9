"""What a file is, decided from its bytes; which names are refused."""

from pathlib import Path

import pytest

from casework.attachments.content import ContentRefused, checked_name, detect
from tests.attachments import samples


@pytest.mark.parametrize(
    ("name", "make", "kind"),
    [
        ("diplome.pdf", samples.pdf, "pdf"),
        ("photo.jpg", lambda: samples.image("JPEG"), "jpeg"),
        ("photo.JPEG", lambda: samples.image("JPEG"), "jpeg"),
        ("releve.png", lambda: samples.image("PNG"), "png"),
        ("IMG_0042.HEIC", samples.heic, "heic"),
        ("photo.heic", lambda: samples.heic(b"mif1", b"mif1heic"), "heic"),
        ("photo.heif", lambda: samples.heic(b"mif1", b"mif1miafhevc"), "heic"),
        ("bail.docx", samples.docx, "docx"),
        ("consentement.odt", samples.odt, "odt"),
        ("scan sans extension", samples.pdf, "pdf"),
        ("scan 2019.05.03", samples.pdf, "pdf"),
    ],
)
def test_accepted_kinds_are_read_from_the_content(tmp_path, name, make, kind):
    path = tmp_path / "upload"
    path.write_bytes(make())
    assert detect(path, name).code == kind


@pytest.mark.parametrize(
    ("name", "make", "reason"),
    [
        ("page.pdf", lambda: b"<!doctype html><html><body>Bonjour</body></html>", "type"),
        ("archive.pdf", samples.eicar_zip, "type"),  # a ZIP named « .pdf »
        ("polyglotte.pdf", samples.pdf_html_polyglot, "polyglot"),
        ("polyglotte2.pdf", samples.html_then_pdf, "type"),
        ("macros.docx", lambda: samples.docx(macro=True), "macros"),
        ("vba.docx", lambda: samples.docx({"word/vbaProject.bin": b"\0"}), "macros"),
        ("diplome.docx", samples.pdf, "extension_mismatch"),  # the name lies
        ("texte.odt", samples.docx, "extension_mismatch"),
        ("notes.txt", lambda: b"du texte " * 50, "type"),
        ("programme.exe", lambda: b"MZ\x90\x00" + bytes(400), "type"),
        ("tronque.docx", lambda: samples.docx()[:200], "type"),
        # A HEIF that is not HEVC (an AVIF photo) is not one of the kinds kept.
        ("photo.heic", lambda: samples.heic(b"mif1", b"mif1miafavif"), "type"),
        ("photo.heic", lambda: samples.heic(b"avif", b"mif1avif"), "type"),
    ],
)
def test_content_that_is_not_an_accepted_kind_is_refused(tmp_path, name, make, reason):
    path = tmp_path / "upload"
    path.write_bytes(make())
    with pytest.raises(ContentRefused) as refused:
        detect(path, name)
    assert refused.value.reason == reason
    assert str(refused.value)  # a message for the person


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("../../etc/passwd", "name_path"),
        ("..\\..\\windows\\system.ini", "name_path"),
        ("/etc/passwd", "name_path"),
        ("..", "name_path"),
        (".htaccess", "name_path"),
        ("diplome.pdf.exe", "double_extension"),
        ("facture.exe.pdf", "double_extension"),
        ("photo.jpg.pdf", "double_extension"),
        ("bail\x00.pdf", "name_control"),
        ("bail\r\n.pdf", "name_control"),
        ("bail\u202etxt.pdf", "name_control"),  # right-to-left override: « fdp.txt »
        ("a" * 1000 + ".pdf", "name_length"),
        ("", "name_missing"),
        ("   ", "name_missing"),
    ],
)
def test_hostile_names_are_refused(name, reason):
    with pytest.raises(ContentRefused) as refused:
        checked_name(name)
    assert refused.value.reason == reason


def test_ordinary_names_pass_unchanged():
    assert checked_name("Relevé de notes 2019.2020.pdf") == "Relevé de notes 2019.2020.pdf"
    assert checked_name("diplôme v2.pdf") == "diplôme v2.pdf"
    assert checked_name(" bail.docx ") == "bail.docx"


def test_a_name_without_a_type_gets_its_kinds_extension():
    from casework.attachments.content import KINDS, with_extension

    assert with_extension("scan 2019.05.03", KINDS["pdf"]) == "scan 2019.05.03.pdf"
    assert with_extension("photo.JPG", KINDS["jpeg"]) == "photo.JPG"


def test_an_empty_or_missing_file_is_no_kind(tmp_path):
    path = Path(tmp_path / "empty")
    path.write_bytes(b"")
    with pytest.raises(ContentRefused):
        detect(path, "vide.pdf")
