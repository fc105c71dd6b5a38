"""What the performance stage reads: scorecards and trends (``scorecards``), and what is built on
them (the leaderboard, the program dashboard, tier evaluation, the program evaluation)."""

from .scorecards import (  # noqa: F401  (the public surface)
    MonthFigures,
    Scorecard,
    TargetFigures,
    exchange_rates,
    money_list,
    monthly_trend,
    program_total,
    scorecard,
    scorecards,
)
