"""Load the fuzz profile (see ``profiles.py``) before any target is decorated."""

from tests.fuzz import profiles  # noqa: F401  (registers and loads the hypothesis profile)
