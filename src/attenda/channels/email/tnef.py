"""winmail.dat (application/ms-tnef): the attachments and body Outlook wrapped in its own
format, read with tnefparse."""

from dataclasses import dataclass, field

from tnefparse import TNEF


class UnreadableWinmail(ValueError):
    """The data is not TNEF, or tnefparse could not follow it."""


@dataclass(frozen=True)
class WinmailContent:
    text: str = ""
    html: str = ""
    files: list[tuple[str, bytes]] = field(default_factory=list)


def _as_text(value: object) -> str:
    if isinstance(value, str):
        return value.strip("\x00")
    if isinstance(value, bytes):
        # TNEF bodies without a code page property are in practice Windows-1252.
        try:
            return value.decode("utf-8").strip("\x00")
        except UnicodeDecodeError:
            return value.decode("cp1252", errors="replace").strip("\x00")
    return ""


def read_winmail(data: bytes) -> WinmailContent:
    """The body and files inside a winmail.dat; raises ``UnreadableWinmail`` when it cannot."""
    try:
        tnef = TNEF(data, do_checksum=False)
        files = []
        for number, attachment in enumerate(tnef.attachments, start=1):
            name = _as_text(attachment.long_filename()) or f"attachment-{number}"
            content = attachment.data if isinstance(attachment.data, bytes) else b""
            files.append((name, content))
        return WinmailContent(text=_as_text(tnef.body), html=_as_text(tnef.htmlbody), files=files)
    # tnefparse raises whatever struct, index or decode error the broken data provokes.
    except Exception as error:  # noqa: BLE001
        raise UnreadableWinmail(str(error)) from error
