"""Fixtures shared by the integration tests (the database, app and people: tests/conftest.py)."""

from __future__ import annotations

import pytest

from tests.support.world import intake_world


@pytest.fixture
def world(staff, bank):
    """The intake world of tests/support/world.py: `world["boc"]`, `world["abc"]` sign as the banks."""
    return intake_world(staff, bank)
