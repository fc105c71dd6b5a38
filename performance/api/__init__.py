"""The performance stage's API, one module per resource (wired in prm/urls.py)."""
