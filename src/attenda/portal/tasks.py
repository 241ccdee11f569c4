"""The sign-in link mail, written in the customer's language from the worker."""

from django.conf import settings
from django.core.mail import send_mail
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from attenda.core.tasks import background
from attenda.portal.services import customer_with_address, new_sign_in_link


@background(label=gettext_lazy("Mailing a portal sign-in link"))
def mail_sign_in_link(address: str) -> None:
    """The link is made here, at send time, so its minutes start when the mail leaves; an address
    no customer has gets nothing."""
    customer = customer_with_address(address)
    if customer is None:
        return
    minutes = settings.PORTAL_LINK_SECONDS // 60
    with translation.override(customer.language or settings.LANGUAGE_CODE):
        send_mail(
            subject=_("Your link to sign in to the customer portal"),
            message=_(
                "Hello %(name)s,\n\nTo see your requests, open this link within %(minutes)s "
                "minutes. It works once:\n\n%(link)s\n\nIf you did not ask for it, ignore this "
                "mail: nobody can sign in without the link."
            )
            % {
                "name": customer.name,
                "minutes": minutes,
                "link": new_sign_in_link(address=address),
            },
            from_email=None,
            recipient_list=[address],
        )
