"""Demo locator (issue 13)."""


def seed(stdout=None) -> None:
    return None
