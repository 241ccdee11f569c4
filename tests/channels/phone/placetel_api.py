"""A fake Placetel Web API over real HTTP: GET /v2/sip_users with a Bearer token answers the SIP
users it was given, or the status and body a test asks for; every request is recorded."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

API_TOKEN = "123"  # noqa: S105 - the token Zammad's spec sets; the fake API's own.
# The SIP users Zammad's Placetel spec has Placetel answer.
SIP_USERS = [
    {
        "callerid": "03055571600",
        "did": 10,
        "name": "Bob Smith",
        "type": "standard",
        "sipuid": "777008478072@example.com",
    },
    {
        "callerid": "03055571600",
        "did": 12,
        "name": "Josef Müller",
        "type": "standard",
        "sipuid": "777042617425@example.com",
    },
]


class FakePlacetelApi:
    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.status = 200
        self.body: bytes = json.dumps(SIP_USERS).encode()
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the http.server method name.
                api.requests.append(
                    {"path": self.path, "authorization": self.headers.get("Authorization")}
                )
                if self.path != "/v2/sip_users":
                    self._answer(404, b'{"message": "Not found"}')
                elif self.headers.get("Authorization") != f"Bearer {API_TOKEN}":
                    self._answer(401, b'{"message": "Unauthorized"}')
                else:
                    self._answer(api.status, api.body)

            def _answer(self, status: int, data: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def answer(self, status: int, body) -> None:
        self.status = status
        self.body = body if isinstance(body, bytes) else json.dumps(body).encode()

    def __enter__(self) -> "FakePlacetelApi":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
