"""A phone line with voice menus in English and Portuguese, a known caller, and signed posts as
Twilio makes them."""

import json
from urllib.parse import urlencode

import pytest

from attenda.channels.phone import ivr
from attenda.channels.phone.models import (
    Action,
    BlockedNumber,
    CtiEndpoint,
    MenuOption,
    PhoneLine,
    VoiceMenu,
)
from attenda.channels.phone.signatures import signature
from attenda.customers.models import IdentityKind
from tests.corpus import corpus_path
from tests.customers.factories import CustomerFactory, IdentityFactory

STEPS_FILE = ("webhooks", "zammad-cti", "zammad-cti-sipgate-placetel-spec-steps.json")

TOKEN = "twilio-auth-token"
LINE = "+351210000000"
CALLER = "+351912345678"


@pytest.fixture(autouse=True)
def twilio_token(settings):
    settings.TWILIO_AUTH_TOKEN = TOKEN


@pytest.fixture(autouse=True)
def lines_read_afresh():
    """The voice menu's kept line setups belong to the test that read them."""
    ivr.forget_lines()
    yield
    ivr.forget_lines()


@pytest.fixture
def twilio(client):
    """POSTs a form to ``path`` signed as Twilio signs it, or with ``signed=False`` unsigned."""

    def post(path: str, params: dict, *, signed: bool = True, sign_with: str = TOKEN):
        url = "http://testserver" + path
        headers = {}
        if signed:
            headers["X-Twilio-Signature"] = signature(sign_with, url, list(params.items()))
        return client.post(
            path,
            urlencode(params),
            content_type="application/x-www-form-urlencoded",
            headers=headers,
        )

    return post


@pytest.fixture
def line(team, other_team):
    line = PhoneLine.objects.create(
        number=LINE, name="Customer line", team=team, default_language="en"
    )
    for language, greeting in (
        ("en", "Welcome to Attenda Energy."),
        ("pt", "Bem-vindo à Attenda Energia."),
    ):
        menu = VoiceMenu.objects.create(
            line=line,
            language=language,
            title=f"Main {language}",
            greeting=greeting,
            closed_message="We are closed." if language == "en" else "Estamos fechados.",
        )
        submenu = VoiceMenu.objects.create(
            line=line,
            language=language,
            is_main=False,
            title=f"Invoices {language}",
            greeting="Invoices.",
        )
        MenuOption.objects.create(
            menu=menu, digit=1, label="technical support", action=Action.TEAM, team=other_team
        )
        MenuOption.objects.create(
            menu=menu, digit=2, label="a complaint", action=Action.KIND, kind="complaint"
        )
        MenuOption.objects.create(
            menu=menu, digit=3, label="invoices", action=Action.SUBMENU, submenu=submenu
        )
        MenuOption.objects.create(menu=menu, digit=4, label="a call-back", action=Action.CALLBACK)
        MenuOption.objects.create(menu=menu, digit=5, label="a voicemail", action=Action.VOICEMAIL)
        MenuOption.objects.create(
            menu=submenu, digit=1, label="billing", action=Action.TEAM, team=team
        )
    return line


@pytest.fixture
def caller(db):
    customer = CustomerFactory(name="Maria Santos", language="pt")
    IdentityFactory(customer=customer, kind=IdentityKind.PHONE, value=CALLER)
    return customer


def main_menu(line, language="en") -> VoiceMenu:
    return line.menus.get(language=language, is_main=True)


def zammad_desk(token: str, *, region: str = "") -> CtiEndpoint:
    """The configuration Zammad's CTI, sipgate and Placetel specs run with, and their seeded callers.
    Placetel's spec also gives CallerId Customer1 the mobile "+01114100300", which Zammad reads as
    the German 0111 4100300; national numbers are read as ``region``'s."""
    config = json.loads(corpus_path(*STEPS_FILE).read_text())["config_used_by_all_three_specs"]
    endpoint = CtiEndpoint.objects.create(
        name="Asterisk",
        token=token,
        region=region,
        default_caller_id=config["outbound"]["default_caller_id"],
        routing_table=config["outbound"]["routing_table"],
    )
    for blocked in config["inbound"]["block_caller_ids"]:
        BlockedNumber.objects.create(number="+" + blocked["caller_id"], note=blocked["note"])
    first = CustomerFactory(name="CallerId Customer1")
    IdentityFactory(customer=first, kind=IdentityKind.PHONE, value="+4912347114711")
    IdentityFactory(customer=first, kind=IdentityKind.PHONE, value="+4999999222222")
    IdentityFactory(customer=first, kind=IdentityKind.PHONE, value="+491114100300")
    # Zammad lets two customers share 49999992222222; in Attenda a number is one customer's.
    second = CustomerFactory(name="CallerId Customer2")
    IdentityFactory(customer=second, kind=IdentityKind.PHONE, value="+49999992222222")
    return endpoint
