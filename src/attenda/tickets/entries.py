"""The timeline's entries written in Python, as the inbox's rows are (``rows.py``): included once per
entry, ``tickets/timeline_entry.html`` was some thirty nodes to resolve and render for each. What
other apps draw inside an entry (the sender check of a mail, a hidden abusive message) keeps its
template, rendered in the page's context for the entries that have it. Everything an entry shows
is escaped here, as the template's autoescaping would."""

from django.template import Context
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime
from django.utils.translation import gettext as _

from attenda.core.escaping import escape
from attenda.tickets.templatetags.desk import local_format

SENDER_CHECK = "email/sender_check.html"
HIDDEN_ENTRY = "triage/hidden_entry.html"
PROPOSED_COPIES = "tickets/proposed_copies.html"


MARK = 987654321


def _address(name: str) -> str:
    """The address of ``name`` for any id, as a ``str.format`` template of ``id``."""
    return (
        reverse(name, args=[MARK]).replace("{", "{{").replace("}", "}}").replace(str(MARK), "{id}")
    )


def timeline_entries(context: Context, items: list) -> SafeString:
    """One ``<li>`` per ``TimelineItem``: its head (internal badge, headline, abusive mark, the
    ticket it was merged from, when), its text or the triage's hidden message, the sender check,
    the copies proposed, how it was delivered, the quoted text and signature folded, links to the
    original and its attachments. ``context`` is the page's: triage's marks (``triage``), the
    proposals still pending (``pending_copies``) and what the included templates need."""
    triage = context.get("triage")
    abusive = _marked(triage, "abusive_entries")
    hidden = _marked(triage, "hidden_entries")
    pending = context.get("pending_copies") or ()
    attachment = _address("attachment")
    source = _address("entry_source")
    # Translated outside the f-strings, where makemessages finds them.
    internal_label = escape(_("Internal"))
    abusive_mark = escape(_("Abusive"))
    show_folded = escape(_("Show the quoted text and signature"))
    show_as_sent = escape(_("Show as sent"))
    show_with_images = escape(
        _("Show as sent, with remote images (the sender may learn you opened it)")
    )
    show_original = escape(_("Show the original"))
    internal_badge = f'<span class="badge internal">{internal_label}</span>'
    abusive_badge = f'<span class="badge warning">{abusive_mark}</span>'
    parts = []
    for item in items:
        entry = item.entry
        pk = entry.pk
        data = entry.data or {}
        created = template_localtime(entry.created_at)
        head = [internal_badge] if item.internal else []
        head.append(f'<span class="headline">{escape(item.headline)}</span>')
        if pk in abusive:
            head.append(abusive_badge)
        if item.from_ticket:
            said = _("(from ticket #%(number)s)") % {"number": escape(item.from_ticket)}
            head.append(f'<span class="muted">{said}</span>')
        head.append(
            f'<time datetime="{created.isoformat()}">'
            f"{escape(local_format(created, 'SHORT_DATETIME_FORMAT'))}</time>"
        )
        body = []
        if pk in hidden:
            body.append(_included(context, HIDDEN_ENTRY, item))
        else:
            if data.get("authentication"):
                body.append(_included(context, SENDER_CHECK, item))
            if entry.body:
                body.append(f'<div class="text">{escape(entry.body)}</div>')
            if pk in pending:
                body.append(_included(context, PROPOSED_COPIES, item))
            if entry.delivery:
                body.append(_delivery(entry, data))
            if data.get("quoted") or data.get("signature"):
                folded = [f'<details class="folded"><summary>{show_folded}</summary>']
                if data.get("signature"):
                    folded.append(f'<div class="text">{escape(data["signature"])}</div>')
                if data.get("quoted"):
                    folded.append(f'<div class="text quoted">{escape(data["quoted"])}</div>')
                folded.append("</details>")
                body.append("".join(folded))
        if data.get("problems"):
            body.append(
                '<p class="muted">'
                + escape(
                    _(
                        "Parts of this message could not be read as sent; the original shows it"
                        " exactly."
                    )
                )
                + "</p>"
            )
        if entry.raw_id:
            links = []
            if data.get("mail"):
                sent = escape(reverse("mail_as_sent", args=[data["mail"]]))
                links.append(
                    f'<a href="{sent}" target="_blank" rel="noopener">'
                    f"{show_as_sent}</a> · "
                    f'<a href="{sent}?images=remote" target="_blank" rel="noopener">'
                    f"{show_with_images}</a> · "
                )
            links.append(f'<a href="{source.format(id=pk)}">{show_original}</a>')
            body.append(f'<p class="entry-source">{"".join(links)}</p>')
        attachments = entry.attachments.all()
        if attachments:
            files = "".join(
                f'<li><a href="{attachment.format(id=file.pk)}" download>{escape(file.filename)}</a>'
                f' <span class="muted">({escape(filesizeformat(file.blob.size))})</span></li>'
                for file in attachments
            )
            body.append(f'<ul class="attachments">{files}</ul>')
        internal = " internal" if item.internal else ""
        parts.append(
            f'<li class="entry entry-{escape(entry.kind)}{internal}" id="entry-{pk}">'
            f'<p class="entry-head">{" ".join(head)}</p>{"".join(body)}</li>'
        )
    # Safe: every value from the database or a translation went through escape above, and the
    # included templates escape their own.
    return mark_safe("\n".join(parts))  # noqa: S308


def _delivery(entry, data: dict) -> str:
    parts = [
        f'<p class="delivery delivery-{escape(entry.delivery)}">'
        f'<span class="badge">{escape(entry.get_delivery_display())}</span>'
    ]
    if data.get("to"):
        parts.append(
            " "
            + _("To %(address)s from %(sender)s")
            % {"address": escape(data["to"]), "sender": escape(data.get("from", ""))}
        )
    if data.get("cc"):
        addresses = ", ".join(escape(address) for address in data["cc"])
        parts.append(" · " + _("Cc: %(addresses)s") % {"addresses": addresses})
    if entry.delivery_note:
        parts.append(f" · {escape(entry.delivery_note)}")
    parts.append("</p>")
    return "".join(parts)


def _marked(triage, name: str):
    """Triage's marks, from its ticket panel or the whole timeline's dict; none without triage."""
    if isinstance(triage, dict):
        return triage.get(name) or ()
    return getattr(triage, name, None) or ()


def _included(context: Context, name: str, item) -> str:
    """``name`` rendered as ``{% include %}`` would, with ``item`` in the page's context."""
    template = context.template.engine.get_template(name)
    with context.push(item=item):
        return template.render(context)
