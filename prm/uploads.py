"""Upload checks shared by every app that takes files from people (case attachments, content).

A file is accepted only when all three agree: its extension is one the caller allows, its first
bytes are the signature of that kind of file (python-magic is not available; an HTML page or an
executable renamed ``.pdf`` is refused, and HTML or SVG never are accepted at all), and it is no
larger than the caller's limit. Accepted files are stored in private storage under a name of ours
(``storage_name``) and served only by scoped views, as attachments with ``nosniff``, under the
person's name made safe (``display_name``).
"""

import mimetypes
import uuid
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.utils.text import get_valid_filename

from .errors import RuleViolation

MB = 1024 * 1024
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy Office (doc, xls, ppt)
ZIP = (b"PK\x03\x04", b"PK\x05\x06")
# How much of a file is read to recognise it (text files are checked to be UTF-8 this far).
SAMPLE = 64 * 1024
MAX_NAME = 120


def _starts(*signatures: bytes) -> Callable[[bytes, object], bool]:
    return lambda head, upload: head.startswith(signatures)


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


def _webp(head: bytes, upload) -> bool:
    return head[:4] == b"RIFF" and head[8:12] == b"WEBP"


def _iso_media(head: bytes, upload) -> bool:
    """MP4, M4V and QuickTime: an ``ftyp`` box at offset 4."""
    return head[4:8] == b"ftyp"


def _text(head: bytes, upload) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        return error.start >= len(head) - 3  # a multi-byte character cut at the end of the sample
    return True


@dataclass(frozen=True)
class FileKind:
    content_type: str
    matches: Callable[[bytes, object], bool]
    what: str  # how messages name it: "a PDF"


WORD, EXCEL, POWERPOINT = "a Word document", "an Excel workbook", "a PowerPoint presentation"
KINDS: dict[str, FileKind] = {
    "pdf": FileKind("application/pdf", _starts(b"%PDF-"), "a PDF"),
    "doc": FileKind("application/msword", _starts(OLE), WORD),
    "xls": FileKind("application/vnd.ms-excel", _starts(OLE), EXCEL),
    "ppt": FileKind("application/vnd.ms-powerpoint", _starts(OLE), POWERPOINT),
    "docx": FileKind("application/vnd.openxmlformats-officedocument.wordprocessingml.document", _office_xml, WORD),
    "xlsx": FileKind("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _office_xml, EXCEL),
    "pptx": FileKind(
        "application/vnd.openxmlformats-officedocument.presentationml.presentation", _office_xml, POWERPOINT
    ),
    "png": FileKind("image/png", _starts(b"\x89PNG\r\n\x1a\n"), "a PNG image"),
    "jpg": FileKind("image/jpeg", _starts(b"\xff\xd8\xff"), "a JPEG image"),
    "jpeg": FileKind("image/jpeg", _starts(b"\xff\xd8\xff"), "a JPEG image"),
    "gif": FileKind("image/gif", _starts(b"GIF87a", b"GIF89a"), "a GIF image"),
    "webp": FileKind("image/webp", _webp, "a WebP image"),
    "mp4": FileKind("video/mp4", _iso_media, "an MP4 video"),
    "m4v": FileKind("video/mp4", _iso_media, "an MP4 video"),
    "mov": FileKind("video/quicktime", _iso_media, "a QuickTime video"),
    "webm": FileKind("video/webm", _starts(b"\x1a\x45\xdf\xa3"), "a WebM video"),
    "zip": FileKind("application/zip", _starts(*ZIP), "a ZIP archive"),
    "txt": FileKind("text/plain", _text, "a text file"),
    "csv": FileKind("text/csv", _text, "a text file"),
}
# What each use accepts: documents and pictures in a case's thread; sales content in the library.
ATTACHMENT_EXTENSIONS = ("pdf", "png", "jpg", "jpeg", "gif", "docx", "xlsx", "pptx", "txt", "csv")
CONTENT_EXTENSIONS = tuple(ext for ext in KINDS if ext not in ("txt", "csv"))


def extension_of(name: str) -> str:
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    return base.rpartition(".")[2].lower() if "." in base else ""


def validate_upload(file, *, field: str, allowed: Iterable[str], max_bytes: int) -> FileKind:
    """Refuse ``file`` (an UploadedFile) unless its extension is ``allowed``, its content is that
    kind of file and it is at most ``max_bytes``; the ``RuleViolation`` names ``field``. Returns
    the kind it is; the file is left at its start."""
    allowed = tuple(allowed)
    extension = extension_of(getattr(file, "name", ""))
    if extension not in allowed:
        raise RuleViolation(
            {field: [f"Files of type “.{extension or '?'}” are not accepted. Allowed: {', '.join(sorted(allowed))}."]}
        )
    if not file.size:
        raise RuleViolation({field: ["The file is empty."]})
    if file.size > max_bytes:
        limit = f"{max_bytes / MB:g} MB" if max_bytes >= MB else f"{max_bytes} bytes"
        raise RuleViolation({field: [f"The file is {file.size / MB:.1f} MB; the limit is {limit}."]})
    kind = KINDS[extension]
    file.seek(0)
    head = file.read(SAMPLE)
    file.seek(0)
    if not kind.matches(head, file):
        raise RuleViolation({field: [f"The file is called .{extension} but its content is not {kind.what}."]})
    return kind


def display_name(name: str) -> str:
    """The name a file is shown and downloaded under: the person's name without any folder part
    and with only safe characters (the stored file has a name of ours)."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1].strip().lstrip(".")
    stem, dot, extension = base.rpartition(".")
    if not dot:
        stem, extension = base, ""
    stem = get_valid_filename(stem.replace("..", "")) if stem.strip(". ") else ""
    stem = (stem or "file")[: MAX_NAME - len(extension) - 1]
    return f"{stem}.{extension.lower()}" if extension else stem


def storage_name(name: str, prefix: str = "") -> str:
    """Where an accepted file is stored: a random name of ours, never the person's."""
    stored = f"{uuid.uuid4().hex}.{extension_of(name)}"
    return f"{prefix}/{stored}" if prefix else stored


def content_type_of(name: str) -> str:
    kind = KINDS.get(extension_of(name))
    return kind.content_type if kind else (mimetypes.guess_type(name)[0] or "application/octet-stream")
