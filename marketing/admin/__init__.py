"""The admin of channel marketing: one module per part."""

from . import funds, leads, locator  # noqa: F401
