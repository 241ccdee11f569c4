"""Background work for the office counter: thin, load by id and act."""

from django.core.mail import send_mail
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from attenda.channels.counter import sms
from attenda.channels.counter.models import Visit, VisitStatus
from attenda.core.tasks import background


@background(label=gettext_lazy("Telling a visitor their turn is near"))
def tell_turn_near(visit_id: int) -> None:
    """Texts or mails a waiting visitor, in the language they chose at the kiosk, that their turn
    is near. A failure raises, and the task queue tries again with growing waits."""
    visit = Visit.objects.select_related("office", "service").get(pk=visit_id)
    if visit.status != VisitStatus.WAITING:
        return
    with translation.override(visit.language or "en"):
        text = _(
            "%(office)s: your number %(number)s will be called soon. Please come back to the "
            "waiting room."
        ) % {"office": visit.office.name, "number": visit.label}
        if visit.phone:
            provider = sms.provider()
            if provider is not None:
                provider.send(to=visit.phone, body=text)
        if visit.email:
            send_mail(
                subject=_("Your turn is near: %(number)s") % {"number": visit.label},
                message=text,
                from_email=None,
                recipient_list=[visit.email],
            )
