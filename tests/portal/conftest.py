import re
from urllib.parse import urlsplit

import pytest
from django.test import Client

from attenda.portal.services import new_sign_in_link
from tests.tickets.factories import received_ticket


def link_in(mail) -> str:
    """The path of the sign-in link in a mail."""
    return urlsplit(re.search(r"https?://\S+/portal/sign-in/\S+/", mail.body).group(0)).path


def signed_in_as(address: str) -> Client:
    """A client signed in to the portal the way customers are: by a link mailed to ``address``."""
    client = Client()
    client.post(urlsplit(new_sign_in_link(address=address)).path)
    return client


@pytest.fixture
def maria_ticket(db):
    return received_ticket(email="maria@example.com", name="Maria Santos")


@pytest.fixture
def maria(maria_ticket):
    return signed_in_as("maria@example.com")


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Runs what a request leaves for after its commit (queueing the mail) when the block ends."""
    return lambda: django_capture_on_commit_callbacks(execute=True)
