"""Service unit tests run on the fake unit of work (``tests/fakes``): no database, no HSM."""

from __future__ import annotations

import pytest

from tests.fakes import FakeBank


@pytest.fixture
def bank() -> FakeBank:
    """Institutions edb and kb with their branches and staff, in a fresh fake store."""
    return FakeBank.open()
