"""Venue fixture for the execution tests (builders live in ``builders.py``)."""

from __future__ import annotations

import pytest

from tests.unit.execution.builders import VenueFactory, make_venue_pair


@pytest.fixture
def make_venue() -> VenueFactory:
    """Factory fixture: ``make_venue(**config)`` -> ``(venue, recorder)``."""
    return make_venue_pair
