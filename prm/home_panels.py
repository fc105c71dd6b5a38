"""Panels of the partner portal's home page contributed by later stages (featured content,
training due, announcements, ...). The home page belongs to the partners app, which must not
import the apps built on it: each app registers its panel here in ``AppConfig.ready`` and the home
page renders whatever is registered (``{% portal_home_panels %}`` below its own cards,
``{% portal_home_panels "top" %}`` above them)."""

from collections.abc import Callable

# Each panel takes the request and returns (template name, context), or None to show nothing.
HOME_PANELS: list[Callable] = []  # below the home page's own cards (the default)
TOP_HOME_PANELS: list[Callable] = []  # right under the page heading: notices people should see first
POSITIONS = {"bottom": HOME_PANELS, "top": TOP_HOME_PANELS}


def register_home_panel(panel: Callable, *, position: str = "bottom") -> Callable:
    """Show ``panel`` on the portal home, at ``position`` ("bottom" or "top"), in registration order."""
    if position not in POSITIONS:
        raise ValueError(f"A home panel goes at one of {', '.join(POSITIONS)}, not {position!r}.")
    panels = POSITIONS[position]
    if panel not in panels:
        panels.append(panel)
    return panel


def home_panels(position: str = "bottom") -> list[Callable]:
    return POSITIONS[position]
