"""Upload checks shared by the apps: extension, content signature and size, naming the field."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from prm.errors import RuleViolation
from prm.uploads import ATTACHMENT_EXTENSIONS, display_name, validate_upload


@pytest.mark.parametrize(
    "name, content",
    [
        ("quote.pdf", b"%PDF-1.7 ..."),
        ("photo.PNG", b"\x89PNG\r\n\x1a\n..."),
        ("scan.jpg", b"\xff\xd8\xff\xe0..."),
        ("notes.txt", "Grüße aus Köln\n".encode()),
        ("sheet.xlsx", None),
        ("data.csv", b"a,b\n1,2\n"),
    ],
)
def test_allowed_files_pass(name, content):
    if content is None:  # an Office file is a ZIP with its content types listed
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("[Content_Types].xml", "<Types/>")
        content = buffer.getvalue()
    validate_upload(SimpleUploadedFile(name, content), field="file", allowed=ATTACHMENT_EXTENSIONS, max_bytes=1024)


@pytest.mark.parametrize(
    "name, content, says",
    [
        ("tool.exe", b"MZ...", "are not accepted"),
        ("page.html", b"<html>", "are not accepted"),
        ("quote.pdf", b"<html><script>alert(1)</script>", "its content is not a PDF"),
        ("photo.png", b"%PDF-1.7", "its content is not a PNG image"),
        ("notes.txt", b"\x00\x01binary", "its content is not a text file"),
        ("empty.pdf", b"", "empty"),
        ("noextension", b"%PDF-", "are not accepted"),
    ],
)
def test_refused_files_name_the_field(name, content, says):
    with pytest.raises(RuleViolation) as refused:
        validate_upload(SimpleUploadedFile(name, content), field="file", allowed=ATTACHMENT_EXTENSIONS, max_bytes=1024)
    assert says in refused.value.message_dict["file"][0]


def test_the_size_limit_is_the_callers():
    with pytest.raises(RuleViolation, match="the limit is 10 bytes"):
        validate_upload(
            SimpleUploadedFile("a.txt", b"x" * 11), field="file", allowed=ATTACHMENT_EXTENSIONS, max_bytes=10
        )


def test_display_names_are_safe():
    assert display_name("../../etc/passwd.txt") == "passwd.txt"
    assert display_name("C:\\Users\\me\\My Notes.TXT") == "My_Notes.txt"
