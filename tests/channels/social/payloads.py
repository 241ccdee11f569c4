"""Webhook bodies in each provider's documented shape, for the cases the corpus does not give with
the ids a test needs (our own reply's id in a receipt, a chosen customer)."""

import copy


def whatsapp_body(*, messages=(), statuses=(), sender="351912345678", name="Maria Sousa") -> dict:
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "351210000000", "phone_number_id": "1122334455667"},
        "contacts": [{"profile": {"name": name}, "wa_id": sender}],
    }
    if messages:
        value["messages"] = [{"from": sender, **copy.deepcopy(m)} for m in messages]
    if statuses:
        value["statuses"] = list(statuses)
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "1234", "changes": [{"value": value, "field": "messages"}]}],
    }


def whatsapp_text(text: str, *, message_id: str = "wamid.in1", timestamp: int = 1796550000, **kw):
    message = {
        "id": message_id,
        "timestamp": str(timestamp),
        "type": "text",
        "text": {"body": text},
    }
    return whatsapp_body(messages=[message], **kw)


def whatsapp_status(message_id: str, status: str, *, recipient: str = "351912345678") -> dict:
    return whatsapp_body(
        statuses=[
            {
                "id": message_id,
                "status": status,
                "timestamp": "1796550100",
                "recipient_id": recipient,
            }
        ]
    )


def messenger_body(*items: dict, page: str = "234554838031189") -> dict:
    return {
        "object": "page",
        "entry": [{"id": page, "time": 1796550000000, "messaging": list(items)}],
    }


def messenger_text(text: str, *, mid: str = "m_in1", sender: str = "1739141089378194") -> dict:
    return messenger_body(
        {
            "sender": {"id": sender},
            "recipient": {"id": "234554838031189"},
            "timestamp": 1796550000000,
            "message": {"mid": mid, "text": text},
        }
    )


def telegram_text(text: str, *, update_id: int = 501, chat: int = 111111) -> dict:
    person = {"id": chat, "first_name": "Ioana", "last_name": "Popescu", "username": "ioanap"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "from": person,
            "chat": {**person, "type": "private"},
            "date": 1796550000,
            "text": text,
        },
    }


def x_dm(text: str, *, event_id: str = "1500", sender: str = "1205290247124217856") -> dict:
    return {
        "for_user_id": "2975699229",
        "direct_message_events": [
            {
                "type": "message_create",
                "id": event_id,
                "created_timestamp": "1796550000000",
                "message_create": {
                    "target": {"recipient_id": "2975699229"},
                    "sender_id": sender,
                    "message_data": {"text": text, "entities": {}},
                },
            }
        ],
        "users": {sender: {"id": sender, "name": "Piotr Nowak", "screen_name": "pnowak"}},
    }
