"""Mail to agents about their own account: invitations and password resets, written in their
language from the worker."""

from django.conf import settings
from django.core.mail import send_mail
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from attenda.agents.models import Agent
from attenda.agents.services import account_link
from attenda.core.tasks import background


def _lifetime(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    if rest == 0 and hours:
        return translation.ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}
    minutes = max(1, seconds // 60)
    return translation.ngettext("%(count)d minute", "%(count)d minutes", minutes) % {
        "count": minutes
    }


@background(label=gettext_lazy("Mailing a password reset link"))
def mail_password_reset(email: str) -> None:
    """The link is made here, at send time, so its lifetime starts when the mail leaves."""
    if not email:
        return
    for agent in Agent.objects.filter(email__iexact=email, is_active=True):
        with translation.override(agent.language):
            send_mail(
                subject=_("Choose a new Attenda password"),
                message=_(
                    "Someone asked to reset the Attenda password of %(username)s. To choose a new "
                    "one, open this link within %(lifetime)s; it works once:\n\n%(link)s\n\n"
                    "If it was not you, ignore this mail: your password stays as it is."
                )
                % {
                    "username": agent.username,
                    "lifetime": _lifetime(settings.PASSWORD_RESET_TIMEOUT),
                    "link": account_link(agent=agent, purpose="password_reset"),
                },
                from_email=None,
                recipient_list=[agent.email],
            )


@background(label=gettext_lazy("Mailing an invitation"))
def mail_invitation(agent_id: int) -> None:
    agent = Agent.objects.filter(pk=agent_id, is_active=True).exclude(email="").first()
    if agent is None:
        return
    with translation.override(agent.language):
        send_mail(
            subject=_("You are invited to Attenda"),
            message=_(
                "An account was made for you on Attenda, with the username %(username)s. Choose "
                "your password with this link within %(lifetime)s; it works once:\n\n%(link)s\n\n"
                "If the link has expired, ask an admin to send a new invitation."
            )
            % {
                "username": agent.username,
                "lifetime": _lifetime(settings.INVITATION_TIMEOUT),
                "link": account_link(agent=agent, purpose="invitation"),
            },
            from_email=None,
            recipient_list=[agent.email],
        )
