"""Fixtures the command-line tests share with the tests of what the commands call."""

from tests.multicam.conftest import short_shoot  # noqa: F401  (the short shoot, cut once)
