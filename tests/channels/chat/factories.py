"""Chat widgets, and a visitor who talks to one the way the widget's script does."""

import json
import uuid
from dataclasses import dataclass, field

import factory
from django.test import Client

from attenda.channels.chat.models import ChatWidget
from tests.agents.factories import TeamFactory

SITE = "https://shop.example.com"


class ChatWidgetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChatWidget

    name = "Shop"
    team = factory.SubFactory(TeamFactory, name="Billing")
    allowed_origins = SITE
    greeting = "Olá! How can we help?"


@dataclass
class Visitor:
    """A browser on the host site: posts as text/plain JSON with its Origin, keeps its token."""

    widget: ChatWidget
    origin: str = SITE
    address: str = "203.0.113.7"
    token: str = ""
    visitor: str = ""
    client: Client = field(default_factory=Client)
    sent: int = 0

    def post(self, path: str, data: dict, lang: str = "pt-PT,pt"):
        return self.client.post(
            f"/chat/w/{self.widget.key}/{path}/?lang={lang}",
            json.dumps(data),
            content_type="text/plain;charset=UTF-8",
            headers={"Origin": self.origin},
            REMOTE_ADDR=self.address,
        )

    def start(self, text: str = "Olá, a minha encomenda não chegou.", **fields):
        response = self.post(
            "start",
            {"text": text, "visitor": self.visitor, "message_id": uuid.uuid4().hex, **fields},
        )
        if response.status_code == 201:
            self.token = response.json()["token"]
            self.visitor = response.json()["visitor"]
        return response

    def say(self, text: str):
        self.sent += 1
        return self.post(
            "messages", {"token": self.token, "text": text, "message_id": f"m{self.sent}"}
        )

    def events(self, after: int = 0) -> list[dict]:
        response = self.client.get(
            f"/chat/w/{self.widget.key}/events/?token={self.token}&after={after}",
            headers={"Origin": self.origin},
        )
        assert response.status_code == 200
        body = b"".join(response.streaming_content) if response.streaming else response.content
        events = []
        for block in body.decode().split("\n\n"):
            for line in block.splitlines():
                if line.startswith("data: "):
                    events.append(json.loads(line[6:]))
        return events
