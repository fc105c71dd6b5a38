"""Private files (signed agreements, statements): stored under PRIVATE_MEDIA_ROOT, never given a
public URL, served only by views that check the caller's scope."""

from functools import cached_property

from django.conf import settings
from django.core.files.storage import FileSystemStorage


class PrivateStorage(FileSystemStorage):
    def __init__(self):
        super().__init__(base_url=None)

    @cached_property
    def base_location(self):
        return settings.PRIVATE_MEDIA_ROOT

    def url(self, name):
        raise ValueError("Private files have no public URL; serve them through a scoped view.")

    def _clear_cached_properties(self, setting, **kwargs):
        if setting == "PRIVATE_MEDIA_ROOT":
            self.__dict__.pop("base_location", None)
            self.__dict__.pop("location", None)
        super()._clear_cached_properties(setting, **kwargs)


def private_storage() -> PrivateStorage:
    """A callable, so that migrations do not record this machine's path."""
    return PrivateStorage()
