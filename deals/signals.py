"""Events of deal registration that later stages act on (DESIGN.md: apps talk through signals).

- ``deal_won(deal)``: a registration closed as won; incentives books commission on it.
- ``deal_conflict_found(deal, matches)``: a new registration clashes with others; conflicts opens
  a channel-conflict case.
Both are sent after the transaction commits.
"""

from django.dispatch import Signal

deal_won = Signal()
deal_conflict_found = Signal()
