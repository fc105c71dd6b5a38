"""The performance stage in the admin, one module per concern; each registers its own models
and pages when imported here."""

from . import (
    dashboard,  # noqa: F401
    evaluation,  # noqa: F401
    qbr,  # noqa: F401
    targets,  # noqa: F401
    tier_reviews,  # noqa: F401
)
