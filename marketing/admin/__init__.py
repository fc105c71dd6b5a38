"""Staff pages of channel marketing, one module per part."""

from . import locator  # noqa: F401
