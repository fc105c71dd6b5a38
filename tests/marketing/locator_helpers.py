"""Helpers of the locator tests: listed profiles and small real images."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from marketing.models import LocatorProfile


def png_bytes(size: int = 16, colour=(10, 80, 160)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (size, size), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def png_upload(name: str = "logo.png", content: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes() if content is None else content, "image/png")


def profile_of(partner, *, listed: bool = True, logo: bool = False, **fields) -> LocatorProfile:
    """A locator profile written directly (the service is tested on its own)."""
    from django.utils.text import slugify

    fields.setdefault("summary", f"{partner.name} helps you.")
    profile = LocatorProfile(partner=partner, listed=listed, slug=slugify(partner.name), **fields)
    if logo:
        profile.logo.save(f"{partner.pk}/logo.png", png_upload(), save=False)
    profile.save()
    return profile
