"""What the performance stage reads: scorecards and trends (``scorecards``), where partners
stand against the tier requirements (``tiers``), and what is built on them (the leaderboard, the
program dashboard, the program evaluation)."""

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
from .tiers import Requirement, Standing, standing, standings, trailing_year  # noqa: F401
