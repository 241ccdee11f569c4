from django.urls import path

from attenda.channels.phone import views

urlpatterns = [
    path("phone/twilio/voice/", views.twilio_voice, name="twilio_voice"),
    path("phone/twilio/status/", views.twilio_status, name="twilio_status"),
    path("phone/twilio/menu/<int:menu_id>/<int:call_id>/", views.twilio_menu, name="twilio_menu"),
    path("phone/twilio/calls/<int:call_id>/waiting/", views.twilio_waiting, name="twilio_waiting"),
    path("phone/twilio/calls/<int:call_id>/dialled/", views.twilio_dialled, name="twilio_dialled"),
    path(
        "phone/twilio/calls/<int:call_id>/answered/<int:agent_id>/",
        views.twilio_answered,
        name="twilio_answered",
    ),
    path(
        "phone/twilio/calls/<int:call_id>/voicemail/",
        views.twilio_voicemail,
        name="twilio_voicemail",
    ),
    path(
        "phone/twilio/calls/<int:call_id>/transcription/",
        views.twilio_transcription,
        name="twilio_transcription",
    ),
    # Zammad's generic CTI address, so a PBX set up for Zammad needs only the host changed.
    path("api/v1/cti/done/bulk", views.cti_done_bulk, name="cti_done_bulk"),
    path("api/v1/cti/done/<int:call_id>", views.cti_done, name="cti_done"),
    path("api/v1/cti/<str:token>", views.cti_event, name="cti_event"),
    path(
        "api/v1/sipgate/<str:token>/<str:direction>",
        views.sipgate_event,
        name="sipgate_event",
    ),
    path("api/v1/placetel/<str:token>", views.placetel_event, name="placetel_event"),
    path("phone/ringing/", views.ringing_stream, name="phone_ringing"),
    path("phone/calls/<int:call_id>/ticket/", views.file_call, name="phone_file_call"),
    path("phone/calls/<int:call_id>/call-back/", views.call_back, name="phone_call_back"),
    path("phone/missed/", views.missed_calls, name="phone_missed"),
    path("phone/person-answers/", views.person_answers, name="phone_person_answers"),
    path("settings/phone/", views.phone_settings, name="phone_settings"),
    path("settings/phone/block/", views.block, name="phone_block"),
    path("settings/phone/blocked/<int:blocked_id>/unblock/", views.unblock, name="phone_unblock"),
    path("settings/phone/lines/<int:line_id>/menus/new/", views.menu_form, name="phone_new_menu"),
    path(
        "settings/phone/lines/<int:line_id>/menus/<int:menu_id>/",
        views.menu_form,
        name="phone_menu",
    ),
    path("settings/phone/cti/new/", views.cti_endpoint_form, name="phone_new_cti_endpoint"),
    path(
        "settings/phone/cti/<int:endpoint_id>/",
        views.cti_endpoint_form,
        name="phone_cti_endpoint",
    ),
    path("settings/phone/webhooks/<int:webhook_id>/", views.unread_body, name="phone_unread_body"),
]
