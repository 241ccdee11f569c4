"""Sign-in links mailed to customers. Only a hash of the secret is kept, so the table read by an
intruder signs nobody in."""

import hashlib

from django.db import models
from django.utils.translation import gettext_lazy as _

from attenda.core import clock


class SignInLink(models.Model):
    # The address the link was mailed to: it signs in whoever owns that address when it is used.
    address = models.CharField(_("email address"), max_length=320)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), default=clock.now)
    expires_at = models.DateTimeField(_("expires"))
    used_at = models.DateTimeField(_("used"), null=True, blank=True)

    class Meta:
        verbose_name = _("sign-in link")
        verbose_name_plural = _("sign-in links")

    def __str__(self) -> str:
        return self.address

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()
