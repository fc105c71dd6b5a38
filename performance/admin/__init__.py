"""The performance stage in the admin, one module per concern; each registers its own models
and pages when imported here."""

from . import dashboard  # noqa: F401
