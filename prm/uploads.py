"""Upload checks shared by every app that takes files from people (case attachments, content).

A file is accepted only when all three agree: its extension is on the list, its first bytes are
the signature of that kind of file (so a renamed executable or HTML page is refused), and it is
no larger than ``PRM_UPLOAD_MAX_BYTES``. Accepted files are stored in private storage under a
name of ours and served only by scoped views, as attachments with ``nosniff``.
"""

import mimetypes
import os
import uuid

from django.conf import settings
from django.utils.text import get_valid_filename

from .errors import RuleViolation

# extension -> the signatures (leading bytes) its files start with; None: UTF-8 text.
SIGNATURES: dict[str, tuple[bytes, ...] | None] = {
    "pdf": (b"%PDF-",),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "gif": (b"GIF87a", b"GIF89a"),
    "docx": (b"PK\x03\x04",),
    "xlsx": (b"PK\x03\x04",),
    "pptx": (b"PK\x03\x04",),
    "txt": None,
    "csv": None,
}
ALLOWED_EXTENSIONS = tuple(SIGNATURES)
# Text files are read this far to check they are text.
TEXT_SAMPLE = 64 * 1024
MAX_NAME = 150


def extension_of(name: str) -> str:
    return os.path.splitext(name or "")[1].lower().lstrip(".")


def _looks_like_text(sample: bytes) -> bool:
    if b"\x00" in sample:
        return False
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut at the end of the sample is still text.
        return error.start >= len(sample) - 3
    return True


def validate_upload(file, *, field: str = "attachment") -> None:
    """Refuse ``file`` (an UploadedFile) unless its extension, content signature and size are
    allowed; the ``RuleViolation`` names ``field``. The file is left at its start."""
    name = getattr(file, "name", "") or ""
    extension = extension_of(name)
    limit = settings.PRM_UPLOAD_MAX_BYTES
    if extension not in SIGNATURES:
        raise RuleViolation({field: [f"Files of this type cannot be uploaded. Allowed: {', '.join(ALLOWED_EXTENSIONS)}."]})
    if not file.size:
        raise RuleViolation({field: ["The file is empty."]})
    if file.size > limit:
        raise RuleViolation({field: [f"The file is larger than {limit // (1024 * 1024) or 1} MB."]})
    file.seek(0)
    head = file.read(TEXT_SAMPLE)
    file.seek(0)
    signatures = SIGNATURES[extension]
    matches = _looks_like_text(head) if signatures is None else head.startswith(signatures)
    if not matches:
        raise RuleViolation({field: [f"The file's content is not a .{extension} file."]})


def display_name(name: str) -> str:
    """The name a file is shown and downloaded under: the person's name, made safe."""
    base = os.path.basename((name or "").replace("\\", "/"))
    stem, dot, extension = base.rpartition(".")
    safe = get_valid_filename(stem or "file")[: MAX_NAME - len(extension) - 1] or "file"
    return f"{safe}.{extension.lower()}" if dot else safe


def storage_name(name: str, prefix: str) -> str:
    """Where an accepted file is stored: a random name of ours, never the person's."""
    return f"{prefix}/{uuid.uuid4().hex}.{extension_of(name)}"


def content_type_of(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"
