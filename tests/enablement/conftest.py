import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ..factories import TierFactory, course_with_quiz

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


@pytest.fixture
def tiers(db):
    return {
        "Registered": TierFactory(name="Registered", rank=1),
        "Silver": TierFactory(name="Silver", rank=2),
        "Gold": TierFactory(name="Gold", rank=3, min_certified_users=2),
        "Platinum": TierFactory(name="Platinum", rank=4, min_certified_users=5),
    }


@pytest.fixture
def course(db):
    return course_with_quiz()
