"""Reply addresses. Replies leave with a Reply-To of ``box+<ticket>.<token>@domain``: the token is an
HMAC of the mailbox and ticket under the secret key, so a mail to such an address can be trusted to
concern that ticket, and nobody can make one up for another ticket by changing the number."""

import base64
import hashlib
import hmac
import re

from django.conf import settings

TOKEN_LENGTH = 10
_PLUS_ADDRESS = re.compile(
    r"^(?P<local>[^+@]+)\+(?P<ticket>\d{1,12})\.(?P<token>[a-z2-7]+)@(?P<domain>.+)$"
)


def _token(mailbox_address: str, ticket_number: int) -> str:
    digest = hmac.new(
        settings.SECRET_KEY.encode(),
        f"reply:{mailbox_address.lower()}:{ticket_number}".encode(),
        hashlib.sha256,
    ).digest()
    return base64.b32encode(digest).decode().lower()[:TOKEN_LENGTH]


def reply_address(mailbox_address: str, ticket_number: int) -> str:
    local, domain = mailbox_address.split("@", 1)
    return f"{local}+{ticket_number}.{_token(mailbox_address, ticket_number)}@{domain}"


def mailbox_and_ticket(address: str) -> tuple[str, int | None]:
    """The mailbox address an address stands for, and the ticket its token vouches for (None when
    it has no token or a wrong one)."""
    found = _PLUS_ADDRESS.match(address.strip().lower())
    if found is None:
        return address.strip().lower(), None
    mailbox_address = f"{found['local']}@{found['domain']}"
    number = int(found["ticket"])
    if not hmac.compare_digest(found["token"], _token(mailbox_address, number)):
        return mailbox_address, None
    return mailbox_address, number
