"""A local stand-in for the messaging providers' HTTP APIs: a real socket server that checks each
request against the provider's documented shape (URL, method, auth, JSON fields), answers as the
provider documents, and serves the media that messages point to. Shapes are from the providers'
references: WhatsApp Cloud API "Messages" and "Media", Telegram Bot API sendMessage and getFile,
Messenger Send API, X API v2 "POST /2/dm_conversations/with/:participant_id/messages"; and for
files: WhatsApp "Upload media" (POST /{phone-number-id}/media) and media messages by id, Telegram
sendPhoto and sendDocument (multipart/form-data), Messenger's Attachment Upload API
(POST /me/message_attachments) and attachment messages, X "POST /2/media/upload" and a DM's
attachments by media_id."""

import json
import re
import threading
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
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
    body: object  # JSON, or for multipart/form-data its fields: text, or a Part for a file


@dataclass
class Part:
    filename: str
    content_type: str
    content: bytes


def _form(content_type: str, raw: bytes) -> dict:
    """multipart/form-data, read as a mail parser reads MIME: each field by name."""
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + raw
    )
    fields: dict = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        content = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        if filename is None:
            fields[name] = content.decode()
        else:
            fields[name] = Part(filename, part.get_content_type(), content)
    return fields


@dataclass
class FakeProvider:
    base: str = ""
    calls: list[Call] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    # Answers to give before the normal one, e.g. [500] (a short outage) or [400] (a refusal).
    failures: list[int] = field(default_factory=list)
    missing_media: bool = False
    # File names whose upload the provider refuses (as for a file it cannot read).
    refuse_uploads: set[str] = field(default_factory=set)
    # Ids the provider gave uploaded files, with the file.
    uploaded: dict = field(default_factory=dict)

    def sent(self) -> list[Call]:
        """Messages sent (uploads are not messages)."""
        return [call for call in self.calls if call.method == "POST" and not _upload(call.path)]

    def uploads(self) -> list[Call]:
        return [call for call in self.calls if call.method == "POST" and _upload(call.path)]


def _upload(path: str) -> bool:
    return path.endswith(("/media", "/message_attachments", "/media/upload"))


def _multipart(path: str) -> bool:
    """Uploads, and Telegram's file messages, which carry the file themselves."""
    return _upload(path) or bool(re.search(r"/send(Photo|Document)$", path))


def _file_part(fake: FakeProvider, call: Call, name: str) -> "Part | None":
    form = call.body if isinstance(call.body, dict) else {}
    part = form.get(name)
    if not _require(fake, isinstance(part, Part) and bool(part.content), f"file field {name}"):
        return None
    _require(fake, bool(part.filename), f"{name} filename")
    return part


def _refused_upload(fake: FakeProvider, part: "Part | None") -> bool:
    return part is None or part.filename in fake.refuse_uploads


def _whatsapp_upload(fake: FakeProvider, call: Call) -> tuple[int, dict]:
    form = call.body if isinstance(call.body, dict) else {}
    ok = _require(fake, call.headers.get("authorization") == f"Bearer {TOKEN}", "whatsapp auth")
    ok &= _require(fake, form.get("messaging_product") == "whatsapp", "messaging_product")
    part = _file_part(fake, call, "file")
    ok &= _require(fake, part is not None and form.get("type") == part.content_type, "type")
    if not ok or _refused_upload(fake, part):
        return 400, {"error": {"message": "(#131053) Media upload error", "code": 131053}}
    media_id = f"{4000 + len(fake.uploaded)}"
    fake.uploaded[media_id] = part
    return 200, {"id": media_id}


def _telegram_file(fake: FakeProvider, call: Call, field_name: str) -> tuple[int, dict]:
    form = call.body if isinstance(call.body, dict) else {}
    ok = _require(fake, bool(form.get("chat_id")), "chat_id")
    part = _file_part(fake, call, field_name)
    if not ok or _refused_upload(fake, part):
        return 400, {"ok": False, "error_code": 400, "description": "Bad Request: file is wrong"}
    return 200, {"ok": True, "result": {"message_id": 900 + len(fake.sent()), field_name: {}}}


def _messenger_upload(fake: FakeProvider, call: Call) -> tuple[int, dict]:
    form = call.body if isinstance(call.body, dict) else {}
    ok = _require(fake, call.query.get("access_token") == [TOKEN], "messenger access_token")
    try:
        attachment = json.loads(form.get("message") or "{}").get("attachment") or {}
    except ValueError:
        attachment = {}
    ok &= _require(fake, attachment.get("type") in ("image", "audio", "video", "file"), "type")
    ok &= _require(fake, isinstance(attachment.get("payload"), dict), "payload")
    part = _file_part(fake, call, "filedata")
    if not ok or _refused_upload(fake, part):
        return 400, {"error": {"message": "(#100) Upload attachment failure", "code": 100}}
    attachment_id = f"{5000 + len(fake.uploaded)}"
    fake.uploaded[attachment_id] = part
    return 200, {"attachment_id": attachment_id}


def _x_upload(fake: FakeProvider, call: Call) -> tuple[int, dict]:
    form = call.body if isinstance(call.body, dict) else {}
    ok = _require(fake, call.headers.get("authorization") == f"Bearer {TOKEN}", "x auth")
    ok &= _require(fake, form.get("media_category") in ("dm_image", "dm_gif", "dm_video"), "cat")
    part = _file_part(fake, call, "media")
    if not ok or _refused_upload(fake, part):
        return 400, {"errors": [{"message": "media type unrecognized."}]}
    media_id = f"{1880000000 + len(fake.uploaded)}"
    fake.uploaded[media_id] = part
    return 200, {"data": {"id": media_id, "media_key": f"3_{media_id}", "size": len(part.content)}}


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
    elif kind in ("image", "document", "audio", "video"):
        media = body.get(kind) or {}
        ok &= _require(fake, media.get("id") in fake.uploaded, f"{kind}.id of an upload")
        ok &= _require(fake, kind != "document" or bool(media.get("filename")), "filename")
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
    message = body.get("message") or {}
    attachment = message.get("attachment") or {}
    ok &= _require(
        fake,
        isinstance(message.get("text"), str)
        or (attachment.get("payload") or {}).get("attachment_id") in fake.uploaded,
        "message",
    )
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
    media = [item.get("media_id") for item in body.get("attachments") or []]
    ok &= _require(
        fake,
        (isinstance(body.get("text"), str) and body["text"] != "")
        or (len(media) == 1 and media[0] in fake.uploaded),
        "text or one attachment",
    )
    if not ok:
        return 400, {"errors": [{"message": "Invalid Request"}]}
    return 201, {"data": {"dm_conversation_id": "1-2", "dm_event_id": f"{7000 + len(fake.sent())}"}}


def _answer(fake: FakeProvider, call: Call) -> tuple[int, object]:
    path = call.path
    if call.method == "POST":
        _require(
            fake,
            call.headers.get("content-type", "").startswith(
                "multipart/form-data" if _multipart(path) else "application/json"
            ),
            "content type",
        )
        if fake.failures:
            status = fake.failures.pop(0)
            return status, {"error": {"message": "Service temporarily unavailable"}}
        if re.fullmatch(r"/whatsapp/v21\.0/(\d+)/media", path):
            return _whatsapp_upload(fake, call)
        if path == f"/telegram/bot{BOT_TOKEN}/sendPhoto":
            return _telegram_file(fake, call, "photo")
        if path == f"/telegram/bot{BOT_TOKEN}/sendDocument":
            return _telegram_file(fake, call, "document")
        if path == "/messenger/v21.0/me/message_attachments":
            return _messenger_upload(fake, call)
        if path == "/x/2/media/upload":
            return _x_upload(fake, call)
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
            content_type = self.headers.get("Content-Type", "")
            try:
                if content_type.startswith("multipart/form-data"):
                    body = _form(content_type, raw)
                else:
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
