"""A phone line with voice menus in English and Portuguese, a known caller, and signed posts as
Twilio makes them."""

from urllib.parse import urlencode

import pytest

from attenda.channels.phone.models import Action, MenuOption, PhoneLine, VoiceMenu
from attenda.channels.phone.signatures import signature
from attenda.customers.models import IdentityKind
from tests.customers.factories import CustomerFactory, IdentityFactory

TOKEN = "twilio-auth-token"
LINE = "+351210000000"
CALLER = "+351912345678"


@pytest.fixture(autouse=True)
def twilio_token(settings):
    settings.TWILIO_AUTH_TOKEN = TOKEN


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
