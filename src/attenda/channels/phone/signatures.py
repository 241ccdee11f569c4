"""Twilio's webhook signature (X-Twilio-Signature): base64(HMAC-SHA1(auth token, URL + each POST
parameter's name and value, sorted)). As Twilio's own validator does, the URL is tried as given,
without its port and with the scheme's default port, since proxies add or drop it."""

import base64
import hashlib
import hmac
from urllib.parse import urlsplit, urlunsplit

DEFAULT_PORTS = {"https": 443, "http": 80}


def signature(token: str, url: str, params: list[tuple[str, str]]) -> str:
    # Duplicate keys count once per distinct value, values sorted (twilio-python's rule).
    payload = url + "".join(key + value for key, value in sorted(set(params)))
    digest = hmac.new(token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _variants(url: str) -> list[str]:
    parts = urlsplit(url)
    host = parts.hostname or ""
    without = urlunsplit(parts._replace(netloc=host))
    with_port = urlunsplit(
        parts._replace(netloc=f"{host}:{parts.port or DEFAULT_PORTS.get(parts.scheme, 443)}")
    )
    return list(dict.fromkeys([url, without, with_port]))


def is_valid(token: str, url: str, params: list[tuple[str, str]], given: str) -> bool:
    if not token or not given:
        return False
    return any(
        hmac.compare_digest(signature(token, variant, params), given) for variant in _variants(url)
    )
