"""Upload checks shared by the apps: extension, content signature and size, naming the field."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from prm.errors import RuleViolation
from prm.uploads import display_name, validate_upload


@pytest.mark.parametrize("name, content", [
    ("quote.pdf", b"%PDF-1.7 ..."), ("photo.PNG", b"\x89PNG\r\n\x1a\n..."), ("scan.jpg", b"\xff\xd8\xff\xe0..."),
    ("notes.txt", "Grüße aus Köln\n".encode()), ("sheet.xlsx", b"PK\x03\x04..."), ("data.csv", b"a,b\n1,2\n"),
])
def test_allowed_files_pass(name, content):
    validate_upload(SimpleUploadedFile(name, content))


@pytest.mark.parametrize("name, content, says", [
    ("tool.exe", b"MZ...", "cannot be uploaded"),
    ("page.html", b"<html>", "cannot be uploaded"),
    ("quote.pdf", b"<html><script>alert(1)</script>", "not a .pdf file"),
    ("photo.png", b"%PDF-1.7", "not a .png file"),
    ("notes.txt", b"\x00\x01binary", "not a .txt file"),
    ("empty.pdf", b"", "empty"),
    ("noextension", b"%PDF-", "cannot be uploaded"),
])
def test_refused_files_name_the_field(name, content, says):
    with pytest.raises(RuleViolation) as refused:
        validate_upload(SimpleUploadedFile(name, content), field="file")
    assert says in refused.value.message_dict["file"][0]


def test_the_size_limit_is_a_setting(settings):
    settings.PRM_UPLOAD_MAX_BYTES = 10
    with pytest.raises(RuleViolation, match="larger than"):
        validate_upload(SimpleUploadedFile("a.txt", b"x" * 11))


def test_display_names_are_safe():
    assert display_name("../../etc/passwd.txt") == "passwd.txt"
    assert display_name("C:\\Users\\me\\My Notes.TXT") == "My_Notes.txt"
