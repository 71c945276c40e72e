"""Fixtures of the handler tests."""

import pytest
from handler_helpers import analyzed


@pytest.fixture(scope="module")
def done(model):
    """One analysis of an example at two scales: (input values, outputs)."""
    return analyzed(model)
