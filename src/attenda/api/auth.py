"""Who is calling: an agent, named by one of their API tokens in `Authorization: Bearer <key>`."""

from django.http import HttpRequest
from ninja.security import HttpBearer

from attenda.agents.models import Agent
from attenda.agents.services import agent_for_api_key


class ApiTokenAuth(HttpBearer):
    def __call__(self, request: HttpRequest) -> Agent | None:
        # django-ninja's own parsing logs the whole header, key included, when DEBUG is on.
        scheme, _space, key = request.headers.get(self.header, "").partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            return None
        return self.authenticate(request, key.strip())

    def authenticate(self, request: HttpRequest, token: str) -> Agent | None:
        return agent_for_api_key(token)
