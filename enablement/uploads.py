"""Checks on files uploaded to the content library: allowed extension, content that really is
what the extension says (file signatures; python-magic is not available), size, and a safe name.

An HTML or SVG file is never accepted, whatever it is called: its extension is not allowed, and
renamed to ``.pdf`` its content does not start like a PDF.
"""

import uuid
import zipfile

from django.conf import settings
from django.utils.text import get_valid_filename

from prm.errors import RuleViolation

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy Office (doc, xls, ppt)
ZIP = (b"PK\x03\x04", b"PK\x05\x06")


def _pdf(head: bytes, upload) -> bool:
    return head.startswith(b"%PDF-")


def _ole(head: bytes, upload) -> bool:
    return head.startswith(OLE)


def _zip(head: bytes, upload) -> bool:
    return head.startswith(ZIP)


def _office_xml(head: bytes, upload) -> bool:
    """docx, xlsx, pptx: a ZIP holding ``[Content_Types].xml``."""
    if not head.startswith(ZIP[0]):
        return False
    try:
        upload.seek(0)
        with zipfile.ZipFile(upload) as archive:
            return "[Content_Types].xml" in archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    finally:
        upload.seek(0)


def _png(head: bytes, upload) -> bool:
    return head.startswith(b"\x89PNG\r\n\x1a\n")


def _jpeg(head: bytes, upload) -> bool:
    return head.startswith(b"\xff\xd8\xff")


def _gif(head: bytes, upload) -> bool:
    return head[:6] in (b"GIF87a", b"GIF89a")


def _webp(head: bytes, upload) -> bool:
    return head[:4] == b"RIFF" and head[8:12] == b"WEBP"


def _iso_media(head: bytes, upload) -> bool:
    """MP4, M4V and QuickTime: an ``ftyp`` box at offset 4."""
    return head[4:8] == b"ftyp"


def _matroska(head: bytes, upload) -> bool:
    return head.startswith(b"\x1a\x45\xdf\xa3")


# extension -> (content type served, signature check, what it is called in messages)
ALLOWED = {
    "pdf": ("application/pdf", _pdf, "a PDF"),
    "doc": ("application/msword", _ole, "a Word document"),
    "xls": ("application/vnd.ms-excel", _ole, "an Excel workbook"),
    "ppt": ("application/vnd.ms-powerpoint", _ole, "a PowerPoint presentation"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", _office_xml, "a Word document"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _office_xml, "an Excel workbook"),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", _office_xml, "a PowerPoint presentation"),
    "png": ("image/png", _png, "a PNG image"),
    "jpg": ("image/jpeg", _jpeg, "a JPEG image"),
    "jpeg": ("image/jpeg", _jpeg, "a JPEG image"),
    "gif": ("image/gif", _gif, "a GIF image"),
    "webp": ("image/webp", _webp, "a WebP image"),
    "mp4": ("video/mp4", _iso_media, "an MP4 video"),
    "m4v": ("video/mp4", _iso_media, "an MP4 video"),
    "mov": ("video/quicktime", _iso_media, "a QuickTime video"),
    "webm": ("video/webm", _matroska, "a WebM video"),
    "zip": ("application/zip", _zip, "a ZIP archive"),
}
MAX_NAME = 120


def safe_filename(name: str) -> str:
    """The name a person gave the file, without any folder part and with only safe characters
    (it names the download; the stored file gets a name of our own)."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1].strip().lstrip(".")
    stem, dot, ext = base.rpartition(".")
    if not dot:
        stem, ext = base, ""
    stem = get_valid_filename(stem.replace("..", "")) if stem.strip(". ") else ""
    stem = (stem or "file")[: MAX_NAME - len(ext) - 1]
    return f"{stem}.{ext.lower()}" if ext else stem


def extension_of(name: str) -> str:
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    return base.rpartition(".")[2].lower() if "." in base else ""


def check_upload(upload) -> dict:
    """Check an uploaded file; return what to store with it: ``{"original_filename",
    "content_type", "size", "storage_name"}``. Refuses with a RuleViolation on ``file``."""
    limit = settings.PRM_CONTENT_MAX_UPLOAD_MB * 1024 * 1024
    if upload.size > limit:
        raise RuleViolation({"file": [f"The file is {upload.size / 1024 / 1024:.1f} MB; the limit is {settings.PRM_CONTENT_MAX_UPLOAD_MB} MB."]})
    if upload.size == 0:
        raise RuleViolation({"file": ["The file is empty."]})
    extension = extension_of(upload.name)
    if extension not in ALLOWED:
        allowed = ", ".join(sorted(ALLOWED))
        raise RuleViolation({"file": [f"Files of type “.{extension or '?'}” are not accepted. Allowed: {allowed}."]})
    content_type, matches, what = ALLOWED[extension]
    upload.seek(0)
    head = upload.read(64)
    upload.seek(0)
    if not matches(head, upload):
        raise RuleViolation({"file": [f"The file is called .{extension} but its content is not {what}."]})
    original = safe_filename(upload.name)
    return {
        "original_filename": original,
        "content_type": content_type,
        "size": upload.size,
        # Stored under a name of our own: nothing a person typed reaches the file system.
        "storage_name": f"{uuid.uuid4().hex}.{extension}",
    }

