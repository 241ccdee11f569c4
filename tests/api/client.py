"""A JSON client for /api/v1, signed in with one agent's token."""

import json

from django.test import Client

from attenda.agents.services import issue_api_token


class ApiClient:
    def __init__(self, key: str) -> None:
        self.client = Client(headers={"Authorization": f"Bearer {key}"})

    def get(self, path: str, **params):
        return self.client.get(f"/api/v1{path}", params)

    def post(self, path: str, data: dict | None = None):
        return self.client.post(f"/api/v1{path}", data or {}, content_type="application/json")

    def put(self, path: str, data: dict | None = None):
        return self.client.put(f"/api/v1{path}", data or {}, content_type="application/json")

    def patch(self, path: str, data: dict | None = None):
        return self.client.patch(f"/api/v1{path}", data or {}, content_type="application/json")

    def send(self, method: str, path: str, data: dict | None = None):
        return self.client.generic(
            method, f"/api/v1{path}", json.dumps(data or {}), content_type="application/json"
        )


def client_for(agent) -> ApiClient:
    _token, key = issue_api_token(agent=agent, name="Integration")
    return ApiClient(key)
