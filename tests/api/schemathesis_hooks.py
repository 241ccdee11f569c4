"""What schemathesis needs to know beyond the OpenAPI document: how to make a value of Attenda's own
formats, and a raw message for the mail webhook. Loaded by tests/api/test_schemathesis.py, and by
`SCHEMATHESIS_HOOKS=tests.api.schemathesis_hooks st run ...` (README.md)."""

import schemathesis
from hypothesis import strategies as st

# E.164 numbers and national ones of the desk's country (Portugal by default), which phonenumbers
# reads as possible; the document calls this format "phone".
PHONE_NUMBERS = ["+351912345678", "+48506938128", "+40721234567", "+34612345678", "912345678"]
schemathesis.openapi.format("phone", st.sampled_from(PHONE_NUMBERS))

# A cursor is only ever a next_cursor the API gave; the empty one starts at the first page.
schemathesis.openapi.format("cursor", st.just(""))

MAIL = (
    b"From: Maria Santos <maria@example.com>\r\nTo: suporte@example.com\r\n"
    b"Subject: Fatura\r\nMessage-ID: <%d@example.com>\r\n\r\nA minha fatura est\xc3\xa1 errada.\r\n"
)
schemathesis.openapi.media_type(
    "message/rfc822", st.integers(min_value=1, max_value=10**9).map(lambda n: MAIL % n)
)
