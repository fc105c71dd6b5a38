"""Writes of the performance stage, one module per concern."""
