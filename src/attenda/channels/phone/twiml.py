"""TwiML documents (Twilio's programmable-voice answer format, which Vonage, Plivo, SignalWire and
Telnyx follow or mirror), built as XML so nothing a caller or an admin wrote can break out."""

from xml.etree import ElementTree

# The voices of <Say> per interface language.
SPEECH_LANGUAGES = {"en": "en-GB", "pt": "pt-PT", "es": "es-ES", "ro": "ro-RO", "pl": "pl-PL"}


class Response:
    def __init__(self, language: str) -> None:
        self.root = ElementTree.Element("Response")
        self.language = SPEECH_LANGUAGES.get(language, "en-GB")

    def say(self, text: str, parent: ElementTree.Element | None = None) -> "Response":
        if text:
            ElementTree.SubElement(
                parent if parent is not None else self.root, "Say", language=self.language
            ).text = text
        return self

    def play(self, url: str, parent: ElementTree.Element | None = None) -> "Response":
        ElementTree.SubElement(parent if parent is not None else self.root, "Play").text = url
        return self

    def gather(self, action: str, *, hints: str = "", timeout: int = 5) -> ElementTree.Element:
        """One key or a spoken answer, posted to ``action``."""
        attributes = {
            "action": action,
            "method": "POST",
            "input": "dtmf speech",
            "numDigits": "1",
            "timeout": str(timeout),
            "language": self.language,
        }
        if hints:
            attributes["hints"] = hints
        return ElementTree.SubElement(self.root, "Gather", attributes)

    def dial(
        self, action: str, clients: list[tuple[str, str]], *, caller_id: str = ""
    ) -> "Response":
        """Rings each (client identity, answer URL) at once; the first to answer gets the caller."""
        attributes = {"action": action, "method": "POST", "timeout": "20"}
        if caller_id:
            attributes["callerId"] = caller_id
        dial = ElementTree.SubElement(self.root, "Dial", attributes)
        for identity, url in clients:
            ElementTree.SubElement(dial, "Client", url=url, method="POST").text = identity
        return self

    def record(self, action: str, transcribe_callback: str) -> "Response":
        ElementTree.SubElement(
            self.root,
            "Record",
            action=action,
            method="POST",
            maxLength="120",
            finishOnKey="#0",
            transcribeCallback=transcribe_callback,
        )
        return self

    def redirect(self, url: str) -> "Response":
        ElementTree.SubElement(self.root, "Redirect", method="POST").text = url
        return self

    def reject(self) -> "Response":
        ElementTree.SubElement(self.root, "Reject", reason="busy")
        return self

    def hangup(self) -> "Response":
        ElementTree.SubElement(self.root, "Hangup")
        return self

    def xml(self) -> str:
        return '<?xml version="1.0" encoding="UTF-8"?>' + ElementTree.tostring(
            self.root, encoding="unicode"
        )
