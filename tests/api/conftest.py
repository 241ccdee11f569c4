"""API clients for the people of the small team in tests/conftest.py."""

import pytest

from tests.api.client import client_for


@pytest.fixture
def api(agent):
    return client_for(agent)


@pytest.fixture
def colleague_api(colleague):
    return client_for(colleague)


@pytest.fixture
def supervisor_api(supervisor):
    return client_for(supervisor)


@pytest.fixture
def outsider_api(outsider):
    return client_for(outsider)
