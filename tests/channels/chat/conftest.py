import pytest

from tests.channels.chat.factories import ChatWidgetFactory, Visitor


@pytest.fixture
def widget(team):
    return ChatWidgetFactory(team=team)


@pytest.fixture
def visitor(widget):
    return Visitor(widget=widget)
