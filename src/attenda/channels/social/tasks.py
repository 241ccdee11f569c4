"""The messaging channel's periodic work: events stored but never taken."""

from datetime import timedelta

from django.utils.translation import gettext_lazy

from attenda.channels.social.inbound import take_event
from attenda.channels.social.models import EventState, SocialEvent
from attenda.core import clock
from attenda.core.tasks import background

# Runs this often, and looks at the events that came between one and two such periods ago, so each
# forgotten event is queued once more, about ten minutes after it came.
SWEEP_EVERY = timedelta(minutes=10)


@background(label=gettext_lazy("Taking messaging-app messages left waiting"))
def take_forgotten_events() -> list[int]:
    """Events still waiting: their task was never queued (the process stopped right after the
    webhook's commit) or its worker was killed. Taking an event twice takes it once."""
    now = clock.now()
    forgotten = list(
        SocialEvent.objects.filter(
            state=EventState.PENDING,
            received_at__gte=now - 2 * SWEEP_EVERY,
            received_at__lt=now - SWEEP_EVERY,
        ).values_list("pk", flat=True)[:1000]
    )  # social_event_state_idx (state, received_at)
    for event_id in forgotten:
        take_event.enqueue_on_commit(event_id)
    return forgotten
