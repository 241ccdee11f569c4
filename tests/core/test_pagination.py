import pytest

from attenda.core.pagination import InvalidCursor, keyset_page
from attenda.tickets.models import Priority, Ticket
from attenda.tickets.services import change_details
from tests.tickets.factories import received_ticket

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "order", [("waiting_since", "id"), ("-priority", "waiting_since", "id"), ("-updated_at", "-id")]
)
def test_walking_every_page_shows_each_ticket_once_in_order(team, admin_agent, order, time_machine):
    time_machine.move_to("2026-03-02 09:00:00+00:00", tick=False)
    for number in range(23):
        ticket = received_ticket(
            team=team, email=f"c{number % 7}@example.com", subject=f"Matter {number}"
        )
        if number % 3 == 0:
            change_details(ticket=ticket, actor=admin_agent, priority=Priority.HIGH)
        if number % 5:
            time_machine.shift(60)

    seen, cursor = [], None
    while True:
        page = keyset_page(Ticket.objects.all(), order=order, cursor=cursor, size=5)
        seen.extend(ticket.pk for ticket in page.items)
        cursor = page.next_cursor
        if cursor is None:
            break

    assert seen == list(Ticket.objects.order_by(*order).values_list("pk", flat=True))


def test_a_cursor_that_was_not_made_here_is_refused():
    with pytest.raises(InvalidCursor):
        keyset_page(Ticket.objects.all(), order=("waiting_since", "id"), cursor="bm9wZQ", size=5)
