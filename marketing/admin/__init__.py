"""Staff's side of channel marketing, one module per part."""

from . import funds  # noqa: F401
