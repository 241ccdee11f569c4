"""Who a chat visitor is. A host site that knows its signed-in user passes the user's id (and
address) with an HMAC-SHA256 made with the widget's secret on its server:

    signature = hex(HMAC_SHA256(widget.secret, user_id + "\\n" + email))

(email empty when not given). A visitor without one is still recognised on their next chat by the
signed visitor id the widget keeps in the browser; both become the customer's chat identities, so
the customer's standing agent is found as for any other channel.

A customer signed into Attenda's own portal in the same browser is known by that session: the
widget sends its first message with the browser's cookies, which reach Attenda when the page is
Attenda's own or on the same site (the session cookie is SameSite=Lax), never from another site."""

import hashlib
import hmac
import uuid

from django.core import signing
from django.http import HttpRequest

from attenda.channels.chat.models import ChatWidget
from attenda.customers.models import IdentityKind
from attenda.customers.services import IdentityClaim
from attenda.portal.services import signed_in_customer
from attenda.portal.views import SESSION_ADDRESS, SESSION_CUSTOMER

VISITOR_SALT = "attenda.chat.visitor"
TOKEN_SALT = "attenda.chat.conversation"  # noqa: S105 - a salt, not a secret
# A conversation's token is worth this long; a visitor who comes back later starts a new chat.
TOKEN_MAX_AGE = 60 * 60 * 12


def host_signature(widget: ChatWidget, user_id: str, email: str = "") -> str:
    message = f"{user_id}\n{email}".encode()
    return hmac.new(widget.secret.encode(), message, hashlib.sha256).hexdigest()


def signed_claims(
    widget: ChatWidget, user_id: str, email: str, signature: str
) -> list[IdentityClaim]:
    """The host site's user as identities, or nothing when the signature does not match."""
    if not user_id or not signature:
        return []
    if not hmac.compare_digest(host_signature(widget, user_id, email), signature.lower()):
        return []
    claims = [IdentityClaim(kind=IdentityKind.CHAT, value=f"{widget.key}/{user_id}"[:255])]
    if email:
        claims.append(IdentityClaim(kind=IdentityKind.EMAIL, value=email))
    return claims


def portal_claims(request: HttpRequest) -> list[IdentityClaim]:
    """The address the browser's portal session signed in with, while it is still that
    customer's; nothing without a portal session."""
    customer_id = request.session.get(SESSION_CUSTOMER)
    address = request.session.get(SESSION_ADDRESS, "")
    if not customer_id or not address:
        return []
    if signed_in_customer(customer_id=customer_id, address=address) is None:
        return []
    return [IdentityClaim(kind=IdentityKind.EMAIL, value=address)]


def new_visitor() -> tuple[str, str]:
    """A visitor id and the signed form the widget keeps."""
    visitor = uuid.uuid4().hex
    return visitor, signing.dumps(visitor, salt=VISITOR_SALT)


def visitor_of(signed: str) -> str | None:
    try:
        visitor = signing.loads(signed, salt=VISITOR_SALT)
    except signing.BadSignature:
        return None
    return visitor if isinstance(visitor, str) else None


def visitor_claim(visitor: str) -> IdentityClaim:
    return IdentityClaim(kind=IdentityKind.CHAT, value=f"visitor:{visitor}")


def conversation_token(conversation_id: int, visitor: str) -> str:
    return signing.dumps({"c": conversation_id, "v": visitor}, salt=TOKEN_SALT, compress=True)


def conversation_of_token(token: str) -> tuple[int, str] | None:
    try:
        value = signing.loads(token, salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("c"), int):
        return None
    return value["c"], str(value.get("v", ""))
