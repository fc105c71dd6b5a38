"""Panels of the partner portal's home page contributed by later stages (featured content,
training due, ...). The home page belongs to the partners app, which must not import the apps
built on it: each app registers its panel here in ``AppConfig.ready`` and the home page renders
whatever is registered (``{% portal_home_panels %}``)."""

from collections.abc import Callable

# Each panel takes the request and returns (template name, context), or None to show nothing.
HOME_PANELS: list[Callable] = []


def register_home_panel(panel: Callable) -> Callable:
    if panel not in HOME_PANELS:
        HOME_PANELS.append(panel)
    return panel
