"""A local stand-in for the messaging providers' HTTP APIs: a real socket server that checks each
request against the provider's documented shape (URL, method, auth, JSON fields), answers as the
provider documents, and serves the media that messages point to. Shapes are from the providers'
references: WhatsApp Cloud API "Messages" and "Media", Telegram Bot API sendMessage and getFile,
Messenger Send API, X API v2 "POST /2/dm_conversations/with/:participant_id/messages"."""

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

TOKEN = "EAAG-test-token"
BOT_TOKEN = "123456:ABC-test-bot-token"
MEDIA = b"\x89PNG\r\n\x1a\n fake image bytes"


@dataclass
class Call:
    method: str
    path: str
    query: dict
    headers: dict
    body: object


@dataclass
class FakeProvider:
    base: str = ""
    calls: list[Call] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    # Answers to give before the normal one, e.g. [500] (a short outage) or [400] (a refusal).
    failures: list[int] = field(default_factory=list)
    missing_media: bool = False

    def sent(self) -> list[Call]:
        return [call for call in self.calls if call.method == "POST"]


def _require(fake: FakeProvider, condition: bool, problem: str) -> bool:
    if not condition:
        fake.problems.append(problem)
    return condition


def _whatsapp_message(fake: FakeProvider, call: Call) -> tuple[int, dict]:
    body = call.body if isinstance(call.body, dict) else {}
    ok = _require(fake, call.headers.get("authorization") == f"Bearer {TOKEN}", "whatsapp auth")
    ok &= _require(fake, body.get("messaging_product") == "whatsapp", "messaging_product")
    ok &= _require(fake, re.fullmatch(r"\d{6,15}", str(body.get("to", ""))) is not None, "to")
    kind = body.get("type")
    if kind == "text":
        ok &= _require(fake, isinstance((body.get("text") or {}).get("body"), str), "text.body")
    elif kind == "template":
        template = body.get("template") or {}
        ok &= _require(fake, bool(template.get("name")), "template.name")
        ok &= _require(fake, bool((template.get("language") or {}).get("code")), "language")
        components = template.get("components") or []
        ok &= _require(fake, components and components[0].get("type") == "body", "components")
    else:
        ok = _require(fake, False, f"whatsapp type {kind}")
    if not ok:
        return 400, {"error": {"message": "(#100) Invalid parameter", "code": 100}}
    return 200, {
        "messaging_product": "whatsapp",
        "contacts": [{"input": body["to"], "wa_id": body["to"]}],
        "messages": [{"id": f"wamid.out{len(fake.sent())}"}],
    }


def _telegram_send(fake: FakeProvider, call: Call) -> tuple[int, dict]:
    body = call.body if isinstance(call.body, dict) else {}
    ok = _require(fake, bool(body.get("chat_id")), "chat_id")
    ok &= _require(fake, isinstance(body.get("text"), str) and body["text"] != "", "text")
    if not ok:
        return 400, {"ok": False, "error_code": 400, "description": "Bad Request"}
    return 200, {"ok": True, "result": {"message_id": 900 + len(fake.sent()), "text": body["text"]}}


def _messenger_send(fake: FakeProvider, call: Call) -> tuple[int, dict]:
    body = call.body if isinstance(call.body, dict) else {}
    ok = _require(fake, call.query.get("access_token") == [TOKEN], "messenger access_token")
    ok &= _require(fake, bool((body.get("recipient") or {}).get("id")), "recipient.id")
    ok &= _require(fake, isinstance((body.get("message") or {}).get("text"), str), "message")
    kind = body.get("messaging_type")
    ok &= _require(fake, kind in ("RESPONSE", "UPDATE", "MESSAGE_TAG"), "messaging_type")
    ok &= _require(fake, kind != "MESSAGE_TAG" or body.get("tag") == "HUMAN_AGENT", "tag")
    if not ok:
        return 400, {"error": {"message": "(#100) Invalid parameter", "code": 100}}
    recipient = body["recipient"]["id"]
    return 200, {"recipient_id": recipient, "message_id": f"m_out{len(fake.sent())}"}


def _x_send(fake: FakeProvider, call: Call) -> tuple[int, dict]:
    body = call.body if isinstance(call.body, dict) else {}
    ok = _require(fake, call.headers.get("authorization") == f"Bearer {TOKEN}", "x auth")
    ok &= _require(fake, isinstance(body.get("text"), str) and body["text"] != "", "text")
    if not ok:
        return 400, {"errors": [{"message": "Invalid Request"}]}
    return 201, {"data": {"dm_conversation_id": "1-2", "dm_event_id": f"{7000 + len(fake.sent())}"}}


def _answer(fake: FakeProvider, call: Call) -> tuple[int, object]:
    path = call.path
    if call.method == "POST":
        _require(
            fake,
            call.headers.get("content-type", "").startswith("application/json"),
            "content type",
        )
        if fake.failures:
            status = fake.failures.pop(0)
            return status, {"error": {"message": "Service temporarily unavailable"}}
        if m := re.fullmatch(r"/whatsapp/v21\.0/(\d+)/messages", path):
            return _whatsapp_message(fake, call)
        if path == f"/telegram/bot{BOT_TOKEN}/sendMessage":
            return _telegram_send(fake, call)
        if path == "/messenger/v21.0/me/messages":
            return _messenger_send(fake, call)
        if m := re.fullmatch(r"/x/2/dm_conversations/with/(\d+)/messages", path):
            return _x_send(fake, call)
        fake.problems.append(f"unknown POST {path}")
        return 404, {"error": "not found"}
    if fake.missing_media:
        return 404, {"error": {"message": "media not found"}}
    if m := re.fullmatch(r"/whatsapp/v21\.0/(\w+)", path):
        _require(fake, call.headers.get("authorization") == f"Bearer {TOKEN}", "media auth")
        return 200, {
            "url": f"{fake.base}/media/{m.group(1)}",
            "mime_type": "image/jpeg",
            "id": m.group(1),
        }
    if path == f"/telegram/bot{BOT_TOKEN}/getFile":
        _require(fake, bool(call.query.get("file_id")), "file_id")
        return 200, {"ok": True, "result": {"file_path": "photos/file_1.jpg"}}
    if path.startswith(("/media/", f"/telegram/file/bot{BOT_TOKEN}/")):
        return 200, MEDIA
    fake.problems.append(f"unknown GET {path}")
    return 404, {"error": "not found"}


def start(fake: FakeProvider) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = raw
            call = Call(
                self.command,
                parts.path,
                parse_qs(parts.query),
                {key.lower(): value for key, value in self.headers.items()},
                body,
            )
            fake.calls.append(call)
            status, answer = _answer(fake, call)
            content = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
            self.send_response(status)
            kind = "image/png" if isinstance(answer, bytes) else "application/json"
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        do_GET = do_POST = _serve

        def log_message(self, format: str, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.base = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
