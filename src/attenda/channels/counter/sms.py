"""Text messages to visitors, through a provider interface. One real adapter speaks Twilio's
Messages API (POST /2010-04-01/Accounts/{Sid}/Messages.json, basic auth, form fields To, From and
Body), which several other providers mirror; a deployment without a provider sends no SMS."""

from dataclasses import dataclass
from typing import Protocol

import httpx
from django.conf import settings

TIMEOUT_SECONDS = 10


class SmsNotSent(Exception):
    """The provider refused or could not be reached; the task queue tries again later."""


class SmsProvider(Protocol):
    def send(self, *, to: str, body: str) -> str:
        """Sends one message and returns the provider's id for it."""


@dataclass(frozen=True)
class TwilioMessages:
    account_sid: str
    auth_token: str
    sender: str
    api_base: str = "https://api.twilio.com"

    def send(self, *, to: str, body: str) -> str:
        url = f"{self.api_base.rstrip('/')}/2010-04-01/Accounts/{self.account_sid}/Messages.json"
        try:
            # No redirects: a provider address that answers with one is not followed anywhere.
            response = httpx.post(
                url,
                data={"To": to, "From": self.sender, "Body": body},
                auth=(self.account_sid, self.auth_token),
                timeout=TIMEOUT_SECONDS,
                follow_redirects=False,
            )
        except httpx.HTTPError as error:
            raise SmsNotSent(f"the SMS provider could not be reached: {error!r}") from error
        if response.status_code not in (200, 201):
            raise SmsNotSent(
                f"the SMS provider answered {response.status_code}: {response.text[:300]}"
            )
        return str(response.json().get("sid", ""))


def provider() -> SmsProvider | None:
    """The configured provider (settings.SMS_PROVIDER), or None when SMS is not set up."""
    if settings.SMS_PROVIDER == "twilio":
        return TwilioMessages(
            account_sid=settings.TWILIO_ACCOUNT_SID,
            auth_token=settings.TWILIO_AUTH_TOKEN,
            sender=settings.SMS_FROM,
            api_base=settings.TWILIO_API_BASE,
        )
    return None
