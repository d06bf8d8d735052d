"""Fixtures for these tests."""

from tests.timeline.fixtures import *  # noqa: F403
