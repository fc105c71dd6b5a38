"""The admin of channel marketing: one module per part."""

from . import leads, locator  # noqa: F401
