"""Pages of the performance stage: the partner's (portal) and the staff's, one module per concern."""
