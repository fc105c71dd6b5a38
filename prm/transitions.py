"""Explicit state machines: each model lists its allowed transitions in one place."""


class InvalidTransition(Exception):
    """A state change the object's current state does not allow (the API answers 409)."""


def check_transition(transitions: dict, current: str, target: str, *, what: str) -> None:
    if target not in transitions.get(current, ()):
        article = "An" if what[:1].lower() in "aeiou" else "A"
        raise InvalidTransition(f"{article} {what} that is {current} cannot become {target}.")
