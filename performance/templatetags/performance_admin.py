"""Template helpers of the performance admin pages: who sees the links to them on the admin index."""

from django import template

from ..admin.dashboard import may_view_program

register = template.Library()


@register.filter
def views_program_figures(user) -> bool:
    """``{% if request.user|views_program_figures %}``: the program dashboard and the leaderboard
    open for this user (the pages' own rule)."""
    return may_view_program(user)
