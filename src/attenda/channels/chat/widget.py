"""What the widget shows a visitor, in the visitor's language: its strings come from Attenda's
catalogues through the widget's config endpoint, so the script itself holds no text."""

from django.utils.translation import gettext as _


def widget_strings() -> dict[str, str]:
    return {
        "open": _("Chat with us"),
        "close": _("Close the chat"),
        "title": _("Chat"),
        "name": _("Your name"),
        "email": _("Your email address"),
        "emailHint": _("So that we can answer you if the chat is interrupted (optional)."),
        "message": _("Your message"),
        "send": _("Send"),
        "start": _("Start the chat"),
        "end": _("End the chat"),
        "messages": _("Messages"),
        "you": _("You"),
        "agent": _("Agent"),
        "typing": _("The agent is writing…"),
        "waiting": _("You are number %(position)s in the queue."),
        "wait": _("Expected wait: %(wait)s."),
        "joined": _("%(agent)s joined the chat."),
        "ended": _("The chat has ended. Thank you for writing to us."),
        "offlineTitle": _("Leave us a message"),
        "offlineIntro": _(
            "Nobody can chat right now. Leave a message and we will answer by email."
        ),
        "offlineSent": _("Thank you. We received your message and will answer by email."),
        "error": _("That did not work. Check your connection and try again."),
        "tooMany": _("You are sending messages too quickly. Wait a moment and try again."),
        "required": _("Fill in this field."),
    }
