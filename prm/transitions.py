"""Explicit state machines: each model lists its allowed transitions in one place."""

from .errors import InvalidTransition

__all__ = ["InvalidTransition", "check_transition"]


def check_transition(transitions: dict, current: str, target: str, *, what: str) -> None:
    """Raise ``InvalidTransition`` (409 in the API) unless ``current -> target`` is allowed."""
    if target not in transitions.get(current, ()):
        if current == target:  # a double click, a stale page, a retried request
            raise InvalidTransition(f"This {what} is already {current}.")
        article = "An" if what[:1].lower() in "aeiou" else "A"
        raise InvalidTransition(f"{article} {what} that is {current} cannot become {target}.")
