"""A fake SMS provider speaking Twilio's Messages API over real HTTP: it checks each request's
shape (path with the account, basic auth, form fields To, From and Body) the way the provider
would, answers 201 with a message sid, or fails on demand."""

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

ACCOUNT_SID = "AC" + "0" * 30 + "42"
AUTH_TOKEN = "fake-auth-token"  # noqa: S105 - the fake provider's own.
SENDER = "+351910000000"


class FakeSmsProvider:
    def __init__(self) -> None:
        self.received: list[dict] = []
        self.refused: list[str] = []
        self.failures_to_give = 0
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server method name.
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length).decode()
                problem = provider.check(self.path, self.headers, body)
                if problem:
                    provider.refused.append(problem)
                    self._answer(400, {"code": 21604, "message": problem})
                    return
                if provider.failures_to_give:
                    provider.failures_to_give -= 1
                    self._answer(503, {"message": "Service unavailable"})
                    return
                fields = {name: values[0] for name, values in parse_qs(body).items()}
                provider.received.append(fields)
                self._answer(201, {"sid": f"SM{len(provider.received):032d}", "status": "queued"})

            def _answer(self, status: int, payload: dict) -> None:
                data = json.dumps(payload).encode()
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

    def check(self, path: str, headers, body: str) -> str:
        if path != f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json":
            return f"unknown path {path}"
        expected = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
        if headers.get("Authorization") != f"Basic {expected}":
            return "authentication failed"
        if headers.get("Content-Type") != "application/x-www-form-urlencoded":
            return f"form fields expected, got {headers.get('Content-Type')}"
        fields = parse_qs(body)
        if sorted(fields) != ["Body", "From", "To"] or any(len(v) != 1 for v in fields.values()):
            return f"fields To, From and Body expected once each, got {sorted(fields)}"
        if not fields["To"][0].startswith("+") or fields["From"][0] != SENDER:
            return "To and From must be E.164 numbers of the account"
        return ""

    def __enter__(self) -> "FakeSmsProvider":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
