"""Demo channel marketing: locator profiles of ten partners, fund allocations and requests in every
state, and leads offered, accepted and declined."""

from . import funds, leads, locator


def seed(stdout=None) -> None:
    locator.seed(stdout=stdout)
    funds.seed(stdout=stdout)
    leads.seed(stdout=stdout)
