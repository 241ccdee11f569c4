"""Sessions read by the written-out statement: what was saved comes back, an expired or unknown
session is empty and loses its key, as with Django's own database engine."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.sessions.models import Session

from attenda.core import clock
from attenda.core.sessions import SessionStore

pytestmark = pytest.mark.django_db


def test_a_saved_session_is_read_back():
    session = SessionStore()
    session["agent"] = "ana"
    session.save()

    again = SessionStore(session_key=session.session_key)

    assert again["agent"] == "ana"
    assert again.session_key == session.session_key


def test_an_expired_session_is_empty_and_loses_its_key():
    session = SessionStore()
    session["agent"] = "ana"
    session.set_expiry(60)
    session.save()

    with time_machine.travel(clock.now() + timedelta(seconds=61)):
        again = SessionStore(session_key=session.session_key)
        data = dict(again.items())

    assert data == {}
    assert again.session_key is None
    assert Session.objects.filter(session_key=session.session_key).exists()


def test_an_unknown_session_is_empty():
    session = SessionStore(session_key="x" * 32)

    assert session.get("agent") is None
    assert session.session_key is None
