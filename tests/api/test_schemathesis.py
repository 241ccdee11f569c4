"""The OpenAPI document tells the truth: schemathesis sends requests made from it (valid ones, and
ones that break each declared rule) through the whole application and its database with an admin's
token, and every answer must be one the document declares, in the shape it declares, with every
check schemathesis has. A short, repeatable run; README.md gives the command for a longer one."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

import tests.api.schemathesis_hooks  # noqa: F401 - Attenda's formats and the raw mail body
from tests.agents.factories import AgentFactory, TeamFactory
from tests.api.client import client_for

CONFIG = {
    "checks": {"enabled": True},
    # The coverage phase (every boundary of every field) takes minutes; README.md runs it.
    "phases": {"coverage": {"enabled": False}},
    "generation": {"max-examples": 2, "deterministic": True},
}


@pytest.fixture
def desk(db):
    """Two teams and an admin in one of them, so that requests naming small ids find something;
    what the requests create (customers, tickets) is then there for the next ones."""
    billing = TeamFactory(name="Billing")
    TeamFactory(name="Technical")
    return AgentFactory(username="admin", role="admin", teams=[billing])


# The document needs no database; the requests made from it run in each test's own transaction.
schema = schemathesis.openapi.from_wsgi(
    "/api/v1/openapi.json",
    get_wsgi_application(),
    config=SchemathesisConfig.from_dict(CONFIG),
)


@pytest.fixture
def connection_kept():
    """Requests go straight to the WSGI application, whose end would close the database
    connection, and with it the test's transaction; Django's own test client does the same."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def token(desk, connection_kept):
    return client_for(desk).client.defaults["HTTP_AUTHORIZATION"]


@schema.parametrize()
@settings(
    max_examples=2,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_answer_is_one_the_document_declares(case, token):
    case.call_and_validate(headers={"Authorization": token})
