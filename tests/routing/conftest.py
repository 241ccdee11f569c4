"""Replies in these tests reach the customer, as they would on a desk with a mailbox: the service
levels they test count answers that were sent, not ones that could not leave."""

import pytest

from tests.tickets.factories import outgoing_mailbox


@pytest.fixture(autouse=True)
def replies_leave(request):
    if request.node.get_closest_marker("django_db") is None:
        return
    request.getfixturevalue("db")
    outgoing_mailbox()
