from django.urls import path

from attenda.channels.counter import views

VISIT = "offices/<int:office_id>/counters/<int:counter_id>/visits/<int:visit_id>/"

urlpatterns = [
    path("settings/offices/", views.office_list, name="office_list"),
    path("settings/offices/new/", views.office_form, name="new_office"),
    path("settings/offices/<int:office_id>/", views.office_form, name="office_form"),
    path(
        "settings/offices/<int:office_id>/renew-addresses/",
        views.renew_addresses,
        name="renew_office_addresses",
    ),
    path("settings/offices/<int:office_id>/services/new/", views.service_form, name="new_service"),
    path(
        "settings/offices/<int:office_id>/services/<int:service_id>/",
        views.service_form,
        name="service_form",
    ),
    path("settings/offices/<int:office_id>/counters/new/", views.counter_form, name="new_counter"),
    path(
        "settings/offices/<int:office_id>/counters/<int:counter_id>/",
        views.counter_form,
        name="counter_form",
    ),
    path("kiosk/<str:token>/", views.kiosk, name="kiosk"),
    path("kiosk/<str:token>/visits/<int:visit_id>/", views.kiosk_visit, name="kiosk_visit"),
    path("display/<str:token>/", views.display, name="display"),
    path("display/<str:token>/events", views.display_events, name="display_events"),
    path("offices/<int:office_id>/", views.counter_choice, name="counter_choice"),
    path("offices/<int:office_id>/events", views.counter_events, name="counter_events"),
    path(
        "offices/<int:office_id>/counters/<int:counter_id>/",
        views.counter_page,
        name="counter_page",
    ),
    path(
        "offices/<int:office_id>/counters/<int:counter_id>/call-next/",
        views.call_next,
        name="call_next",
    ),
    path(VISIT + "recall/", views.recall, name="recall_visit"),
    path(VISIT + "no-show/", views.no_show, name="no_show_visit"),
    path(VISIT + "transfer/", views.transfer, name="transfer_visit"),
    path(VISIT + "finish/", views.finish, name="finish_visit"),
]
