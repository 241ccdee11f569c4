"""Customers choose the portal's language, signed in or not: ``?lang=xx`` (one of the five) on any
portal page, kept in the session for the rest of the visit, and offered on every page as a small
list of links that a keyboard and a screen reader can use."""

import re
from urllib.parse import urlsplit

import pytest
from django.test import Client

from attenda.customers.models import Customer
from attenda.portal.services import new_sign_in_link

pytestmark = pytest.mark.django_db

LANGUAGES = ["en", "pt", "es", "ro", "pl"]


def _html_lang(page) -> str:
    return re.search(r'<html lang="([^"]+)">', page.content.decode()).group(1)


def _switcher(page) -> str:
    return re.search(r'<nav class="languages".*?</nav>', page.content.decode(), re.S).group(0)


def test_lang_chooses_the_language_of_a_visitor_not_signed_in_and_the_session_keeps_it():
    client = Client()

    chosen = client.get("/portal/sign-in/?lang=ro")
    later = client.get("/portal/sign-in/")
    sent = client.get("/portal/sign-in/sent/")

    assert _html_lang(chosen) == "ro"
    assert "Autentificați-vă pentru a vă urmări solicitările" in chosen.content.decode()
    assert _html_lang(later) == "ro"
    assert _html_lang(sent) == "ro"


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_of_the_five_languages_can_be_chosen(language):
    page = Client().get(f"/portal/sign-in/?lang={language}", HTTP_ACCEPT_LANGUAGE="en")

    assert _html_lang(page) == language
    assert f'lang="{language}" hreflang="{language}" aria-current="true"' in _switcher(page)


def test_a_language_not_offered_is_ignored_and_the_browsers_is_used():
    client = Client(HTTP_ACCEPT_LANGUAGE="pl")

    page = client.get("/portal/sign-in/?lang=de")
    again = client.get("/portal/sign-in/?lang=../../etc")

    assert _html_lang(page) == "pl"
    assert _html_lang(again) == "pl"
    assert "portal_language" not in client.session


def test_every_portal_page_offers_the_five_languages_as_links_back_to_itself():
    page = Client().get("/portal/sign-in/?lang=es")

    switcher = _switcher(page)
    assert 'aria-label="Idioma"' in switcher
    links = re.findall(r'<a href="([^"]+)" lang="(\w+)" hreflang="\w+"', switcher)
    assert links == [(f"/portal/sign-in/?lang={code}", code) for code in LANGUAGES]
    assert switcher.count("aria-current") == 1
    for path in ("/portal/sign-in/sent/", "/portal/sign-in/any-token/"):
        assert f'href="{path}?lang=pt"' in _switcher(Client().get(path))


def test_the_choice_wins_over_the_customers_record_and_lasts_through_sign_in_and_out(
    maria_ticket,
):
    Customer.objects.filter(pk=maria_ticket.customer_id).update(language="pl")
    client = Client()
    client.get("/portal/sign-in/?lang=es")

    client.post(urlsplit(new_sign_in_link(address="maria@example.com")).path)
    home = client.get("/portal/")
    ticket = client.get(f"/portal/tickets/{maria_ticket.number}/?lang=ro")
    home_again = client.get("/portal/")
    signed_out = client.post("/portal/sign-out/", follow=True)

    assert _html_lang(home) == "es"
    assert _html_lang(ticket) == "ro"
    assert _html_lang(home_again) == "ro"
    assert _html_lang(signed_out) == "ro"
    assert "V-ați deconectat." in signed_out.content.decode()


def test_without_a_choice_a_signed_in_customer_reads_their_records_language(maria_ticket):
    Customer.objects.filter(pk=maria_ticket.customer_id).update(language="pl")
    client = Client()
    client.post(urlsplit(new_sign_in_link(address="maria@example.com")).path)

    assert _html_lang(client.get("/portal/")) == "pl"


def test_after_a_forms_post_the_switcher_leads_to_a_page_that_can_be_opened(maria_ticket):
    client = Client()
    client.post(urlsplit(new_sign_in_link(address="maria@example.com")).path)

    refused = client.post(f"/portal/tickets/{maria_ticket.number}/reply/", {"body": ""})

    assert refused.status_code == 422
    assert 'href="/portal/?lang=ro"' in _switcher(refused)
