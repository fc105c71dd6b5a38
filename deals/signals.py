"""Events of deal registration that later stages act on (DESIGN.md: apps talk through signals).

- ``deal_won(deal, by)``: a registration closed as won; incentives books commission on it. Sent
  inside the closing transaction: if booking fails (say, an exchange rate is missing), the deal
  stays approved and the manager reads why.
- ``deal_win_reversed(deal, by, reason)``: a win undone within the clawback window; incentives
  writes the clawback lines. Also sent inside the transaction.
- ``deal_conflict_found(deal, matches)``: a new registration clashes with others; conflicts opens
  a channel-conflict case. Sent after the transaction commits.
"""

from django.dispatch import Signal

deal_won = Signal()
deal_win_reversed = Signal()
deal_conflict_found = Signal()
