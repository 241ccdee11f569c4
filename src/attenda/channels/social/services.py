"""Every write to messaging accounts: admins create and change them. A secret left empty keeps the
one stored; the audit trail says which settings changed, never a secret itself."""

from django.core.exceptions import PermissionDenied
from django.db import transaction

from attenda.agents.models import Agent
from attenda.channels.social.models import SocialAccount
from attenda.core import audit

SECRETS = ("access_token", "app_secret", "verify_token")


@transaction.atomic
def save_account(*, account: SocialAccount, actor: Agent, **fields) -> SocialAccount:
    """Creates (an unsaved ``account``) or changes a messaging account."""
    if not actor.is_admin:
        raise PermissionDenied
    creating = account.pk is None
    changed = []
    for name, value in fields.items():
        if name in SECRETS and not value:
            continue
        if isinstance(value, str):
            value = value.strip()
        if getattr(account, name) != value:
            changed.append(name)
            setattr(account, name, value)
    account.full_clean()
    account.save()
    audit.record(
        actor=actor,
        action="social_account.created" if creating else "social_account.changed",
        target=account,
        changed=sorted(changed),
    )
    return account
