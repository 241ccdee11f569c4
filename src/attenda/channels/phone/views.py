"""The voice menu's webhooks (TwiML, signed by the provider), the CTI endpoint of the desk's PBX
(token in the path, Zammad's generic CTI contract), the live ringing card's event stream, and the
agents' and admins' phone pages."""

import hashlib
from functools import wraps
from urllib.parse import parse_qsl

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from attenda.agents.models import Agent
from attenda.channels.phone import cti, ivr, numbers, placetel, queries, services, signatures
from attenda.channels.phone.forms import (
    BlockedNumberForm,
    CtiEndpointForm,
    MenuOptionFormSet,
    PhoneLineForm,
    VoiceMenuForm,
)
from attenda.channels.phone.models import (
    BlockedNumber,
    Call,
    CtiEndpoint,
    PhoneLine,
    Provider,
    VoiceMenu,
)
from attenda.core import live
from attenda.tickets.models import Ticket


def _params(request: HttpRequest) -> list[tuple[str, str]]:
    return parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True)


def _signed(request: HttpRequest) -> bool:
    given = request.headers.get("X-Twilio-Signature", "")
    url = request.build_absolute_uri()
    body_hash = request.GET.get("bodySHA256")
    if body_hash is not None:
        if hashlib.sha256(request.body).hexdigest() != body_hash:
            return False
        return signatures.is_valid(settings.TWILIO_AUTH_TOKEN, url, [], given)
    return signatures.is_valid(settings.TWILIO_AUTH_TOKEN, url, _params(request), given)


def twilio_webhook(view):
    """Only POSTs Twilio signed reach the view; anything else is refused before a row is written."""

    @csrf_exempt
    @require_POST
    @wraps(view)
    def checked(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not _signed(request):
            return HttpResponse(status=403)
        return view(request, *args, **kwargs)

    return checked


def _twiml(response) -> HttpResponse:
    return HttpResponse(response.xml(), content_type="text/xml; charset=utf-8")


def _unreadable(request: HttpRequest, reason: str) -> HttpResponse:
    services.keep_unread(
        provider=Provider.TWILIO,
        path=request.get_full_path(),
        content_type=request.content_type or "",
        body=request.body,
        reason=reason,
    )
    return _twiml(ivr.Response("en").say(_("Sorry, this number cannot take calls now.")).hangup())


def _call(call_id: int) -> Call:
    return get_object_or_404(
        Call.objects.select_related("line__team", "customer", "team"), pk=call_id
    )


def _language(call: Call) -> str:
    return call.language or (call.line.default_language if call.line else "en")


@twilio_webhook
def twilio_voice(request: HttpRequest) -> HttpResponse:
    """A call arrives at one of our numbers (the number's Voice URL)."""
    params = dict(_params(request))
    call_sid, dialled = params.get("CallSid", ""), numbers.e164(params.get("To", ""))
    if not call_sid or dialled is None:
        return _unreadable(request, "CallSid or To missing")
    setup = ivr.line_setup(dialled)
    if setup is None:
        return _unreadable(request, f"no phone line {dialled}")
    line = setup.line
    caller = numbers.e164(params.get("From", ""))
    if services.is_blocked(caller):
        return _twiml(ivr.Response(line.default_language).reject())
    customer = numbers.caller(caller)
    menu = setup.menu_for(customer.language if customer else line.default_language)
    if menu is None:
        return _unreadable(request, f"no voice menu on {dialled}")
    call, _new = services.start_call(
        provider=Provider.TWILIO,
        call_id=call_sid,
        direction="in",
        from_number=params.get("From", ""),
        to_number=params.get("To", ""),
        line=line,
        customer=customer,
        language=menu.language,
    )
    return _twiml(ivr.welcome(call, menu, is_open=setup.is_open()))


@twilio_webhook
def twilio_menu(request: HttpRequest, menu_id: int, call_id: int) -> HttpResponse:
    params = dict(_params(request))
    call = _call(call_id)
    menu = get_object_or_404(
        VoiceMenu.objects.select_related("line__team"), pk=menu_id, line=call.line
    )
    return _twiml(
        ivr.choose(
            call, menu, digits=params.get("Digits", ""), speech=params.get("SpeechResult", "")
        )
    )


@twilio_webhook
def twilio_waiting(request: HttpRequest, call_id: int) -> HttpResponse:
    params = dict(_params(request))
    call = _call(call_id)
    return _twiml(
        ivr.waiting_choice(
            call,
            digits=params.get("Digits", ""),
            speech=params.get("SpeechResult", ""),
            language=_language(call),
        )
    )


@twilio_webhook
def twilio_dialled(request: HttpRequest, call_id: int) -> HttpResponse:
    """The <Dial> ended: answered and over, or nobody took it."""
    params = dict(_params(request))
    call = _call(call_id)
    if params.get("DialCallStatus") == "completed":
        services.ended(
            call=call, cause="normalClearing", duration=_int(params.get("DialCallDuration"))
        )
        return _twiml(ivr.Response(_language(call)).hangup())
    return _twiml(ivr.nobody_answered(call, language=_language(call)))


@twilio_webhook
def twilio_answered(request: HttpRequest, call_id: int, agent_id: int) -> HttpResponse:
    """Twilio fetches the <Client url> when the agent picks up, before connecting them."""
    call = _call(call_id)
    agent = get_object_or_404(Agent, pk=agent_id)
    services.person_answered(call=call, agent=agent)
    return _twiml(ivr.Response(agent.language))


@twilio_webhook
def twilio_voicemail(request: HttpRequest, call_id: int) -> HttpResponse:
    params = dict(_params(request))
    call = _call(call_id)
    if params.get("Digits") == ivr.PERSON_KEY:
        return _twiml(ivr.connect(call, call.team or call.line.team, language=_language(call)))
    if not params.get("RecordingUrl"):
        return _unreadable(request, "RecordingUrl missing")
    services.voicemail(call=call, recording_url=params["RecordingUrl"])
    call.refresh_from_db()
    return _twiml(ivr.voicemail_left(call, language=_language(call)))


@twilio_webhook
def twilio_transcription(request: HttpRequest, call_id: int) -> HttpResponse:
    params = dict(_params(request))
    call = _call(call_id)
    text = params.get("TranscriptionText", "")
    if text and services.transcription(call=call, text=text) is None:
        _unreadable(request, "transcription of a call without voicemail")
    return HttpResponse(status=204)


@twilio_webhook
def twilio_status(request: HttpRequest) -> HttpResponse:
    """The number's status callback: the call is over."""
    params = dict(_params(request))
    call = Call.objects.filter(provider=Provider.TWILIO, call_id=params.get("CallSid", "")).first()
    if call is None:
        _unreadable(request, "status of an unknown call")
    elif params.get("CallStatus") in ("completed", "busy", "failed", "no-answer", "canceled"):
        services.ended(
            call=call, cause=params["CallStatus"], duration=_int(params.get("CallDuration"))
        )
    return HttpResponse(status=204)


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@csrf_exempt
def cti_event(request: HttpRequest, token: str) -> HttpResponse:
    """Zammad's generic CTI API: newCall, answer and hangup as form or JSON, token in the path."""
    if request.method != "POST":
        return JsonResponse({"error": _("Only POST is accepted.")}, status=405)
    status, body = cti.handle(token=token, request=request)
    return JsonResponse(body, status=status)


def _agent_or_401(request: HttpRequest) -> JsonResponse | None:
    if not request.user.is_authenticated or not request.user.is_active:
        return JsonResponse({"error": _("Sign in first.")}, status=401)
    return None


@require_POST
def cti_done(request: HttpRequest, call_id: int) -> HttpResponse:
    """A missed call is dealt with (Zammad's caller log "done" mark)."""
    refused = _agent_or_401(request)
    if refused:
        return refused
    call = get_object_or_404(queries.calls_of_agent(request.user), pk=call_id)
    services.mark_done(calls=[call], actor=request.user)
    return JsonResponse({})


@require_POST
def cti_done_bulk(request: HttpRequest) -> HttpResponse:
    refused = _agent_or_401(request)
    if refused:
        return refused
    try:
        ids = cti.done_ids(request)
    except ValueError:
        return JsonResponse({"error": _("Give the ids of the calls.")}, status=422)
    calls = list(queries.calls_of_agent(request.user).filter(pk__in=ids))
    services.mark_done(calls=calls, actor=request.user)
    return JsonResponse({})


@csrf_exempt
def sipgate_event(request: HttpRequest, token: str, direction: str) -> HttpResponse:
    """sipgate.io's push API (the same events as the generic CTI, answered in XML) at Zammad's
    address, /api/v1/sipgate/<token>/in or /out."""
    if direction not in ("in", "out"):
        raise Http404
    if request.method != "POST":
        return JsonResponse({"error": _("Only POST is accepted.")}, status=405)
    status, body = cti.handle(token=token, request=request)
    if status != 200:
        return JsonResponse(body, status=status)
    callback_url = settings.BASE_URL.rstrip("/") + request.path
    return HttpResponse(
        cti.sipgate_answer(body, callback_url=callback_url),
        content_type="application/xml; charset=utf-8",
    )


@csrf_exempt
def placetel_event(request: HttpRequest, token: str) -> HttpResponse:
    """Placetel's Call Control / Notify API at Zammad's address, /api/v1/placetel/<token>: the same
    events as the generic CTI under Placetel's names, answered in XML, errors included."""
    if request.method != "POST":
        status, body = 405, {"error": "Only POST is accepted."}
    else:
        status, body = placetel.handle(token=token, request=request)
    return HttpResponse(
        placetel.answer(body), status=status, content_type="application/xml; charset=utf-8"
    )


@login_required
async def ringing_stream(request: HttpRequest) -> HttpResponse:
    """The signed-in agent's own stream: their phone ringing, and the ring ending."""
    user = await request.auser()
    if not user.is_authenticated:
        raise PermissionDenied
    return await live.event_stream(
        request,
        [services.agent_stream(user.pk)],
        now_holding=lambda: [("call.ringing", card) for card in services.still_ringing(user)],
    )


@login_required
@require_POST
def file_call(request: HttpRequest, call_id: int) -> HttpResponse:
    call = _call(call_id)
    choice = request.POST.get("ticket", "new")
    ticket = None
    if choice != "new":
        ticket = get_object_or_404(Ticket, pk=int(choice)) if choice.isdigit() else None
        if ticket is None:
            raise Http404
    try:
        services.file_call(call=call, ticket=ticket, agent=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The call will be on the ticket."))
    return redirect(request.POST.get("next") or "phone_missed")


@login_required
def missed_calls(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "phone/missed.html",
        {"calls": queries.missed_calls(request.user), "nav": "missed_calls"},
    )


@login_required
@require_POST
def call_back(request: HttpRequest, call_id: int) -> HttpResponse:
    call = _call(call_id)
    if not (
        request.user.is_admin or call.team_id is None or call.team_id in request.user.team_ids()
    ):
        raise PermissionDenied
    ticket = services.request_callback(call=call, actor=request.user)
    messages.success(
        request, _("Call-back task created: ticket %(number)s.") % {"number": ticket.number}
    )
    return redirect("phone_missed")


@login_required
def person_answers(request: HttpRequest) -> HttpResponse:
    if not request.user.is_supervisor:
        raise PermissionDenied
    return render(
        request,
        "phone/person_answers.html",
        {"measure": queries.person_answers(), "nav": "person_answers"},
    )


def _require_admin(request: HttpRequest) -> None:
    if not request.user.is_admin:
        raise PermissionDenied


@login_required
def phone_settings(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    line_form = PhoneLineForm(request.POST or None, prefix="line")
    blocked_form = BlockedNumberForm(prefix="blocked")
    if request.method == "POST" and "line-number" in request.POST and line_form.is_valid():
        line_form.save()
        messages.success(request, _("The phone line was saved."))
        return redirect("phone_settings")
    return render(
        request,
        "phone/settings.html",
        {
            "lines": PhoneLine.objects.select_related("team").prefetch_related("menus"),
            "blocked": BlockedNumber.objects.all()[:200],
            "line_form": line_form,
            "blocked_form": blocked_form,
            "unread": queries.unread_webhooks()[:50],
            "endpoints": queries.cti_endpoints(),
            "nav": "phone_settings",
        },
    )


@login_required
@require_POST
def block(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    form = BlockedNumberForm(request.POST, prefix="blocked")
    if form.is_valid():
        try:
            services.block_number(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The number is blocked."))
    else:
        messages.error(request, _("Give a phone number to block."))
    return redirect("phone_settings")


@login_required
@require_POST
def unblock(request: HttpRequest, blocked_id: int) -> HttpResponse:
    _require_admin(request)
    services.unblock_number(
        blocked=get_object_or_404(BlockedNumber, pk=blocked_id), actor=request.user
    )
    messages.success(request, _("The number is no longer blocked."))
    return redirect("phone_settings")


@login_required
def menu_form(request: HttpRequest, line_id: int, menu_id: int | None = None) -> HttpResponse:
    _require_admin(request)
    line = get_object_or_404(PhoneLine, pk=line_id)
    menu = get_object_or_404(VoiceMenu, pk=menu_id, line=line) if menu_id else VoiceMenu(line=line)
    form = VoiceMenuForm(request.POST or None, request.FILES or None, instance=menu)
    options = MenuOptionFormSet(request.POST or None, instance=menu, form_kwargs={"line": line})
    if request.method == "POST" and form.is_valid() and options.is_valid():
        with transaction.atomic():
            form.save()
            options.instance = form.instance
            options.save()
        messages.success(request, _("The voice menu was saved."))
        return redirect("phone_settings")
    return render(
        request,
        "phone/menu_form.html",
        {"form": form, "options": options, "line": line, "menu": menu, "nav": "phone_settings"},
    )


@login_required
def cti_endpoint_form(request: HttpRequest, endpoint_id: int | None = None) -> HttpResponse:
    """An admin sets up a desk telephone system; the page gives its three addresses (generic CTI,
    sipgate, Placetel) to paste into the PBX."""
    _require_admin(request)
    endpoint = get_object_or_404(CtiEndpoint, pk=endpoint_id) if endpoint_id else CtiEndpoint()
    form = CtiEndpointForm(request.POST or None, instance=endpoint)
    if request.method == "POST" and form.is_valid():
        endpoint = services.save_telephone_system(form=form, actor=request.user)
        messages.success(request, _("The telephone system was saved."))
        return redirect("phone_cti_endpoint", endpoint.pk)
    addresses = []
    if endpoint.pk:
        base = settings.BASE_URL.rstrip("/")
        addresses = [
            (_("Generic CTI"), base + reverse("cti_event", args=[endpoint.token])),
            (
                _("sipgate.io, incoming"),
                base + reverse("sipgate_event", args=[endpoint.token, "in"]),
            ),
            (
                _("sipgate.io, outgoing"),
                base + reverse("sipgate_event", args=[endpoint.token, "out"]),
            ),
            (_("Placetel"), base + reverse("placetel_event", args=[endpoint.token])),
        ]
    return render(
        request,
        "phone/cti_endpoint.html",
        {
            "form": form,
            "endpoint": endpoint,
            "addresses": addresses,
            "has_placetel_token": bool(endpoint.placetel_api_token),
            "nav": "phone_settings",
        },
    )


@login_required
def unread_body(request: HttpRequest, webhook_id: int) -> HttpResponse:
    _require_admin(request)
    webhook = get_object_or_404(queries.unread_webhooks(), pk=webhook_id)
    response = HttpResponse(bytes(webhook.body), content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="webhook-{webhook.pk}.txt"'
    return response
