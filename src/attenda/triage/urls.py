from django.urls import path

from attenda.triage import views

urlpatterns = [
    path("entries/<int:entry_id>/reveal/", views.reveal, name="triage_reveal"),
    path("tickets/<int:number>/triage/accept/", views.accept, name="triage_accept"),
    path("tickets/<int:number>/triage/take-over/", views.take_over, name="triage_take_over"),
    path("tickets/flagged/", views.flagged, name="triage_flagged"),
    path("tickets/flagged/<int:flag_id>/clear/", views.clear_flag, name="triage_clear_flag"),
    path("agents/abuse/", views.abuse_by_agent, name="triage_abuse_by_agent"),
    path(
        "customers/<int:customer_id>/abuse-flags/lift/",
        views.lift_customer_flags,
        name="triage_lift_customer_flags",
    ),
    path("settings/triage/", views.settings_page, name="triage_settings"),
    path("settings/triage/threshold/", views.set_threshold, name="triage_threshold"),
    path("settings/triage/rules/", views.save_rule, name="triage_save_rule"),
    path("settings/triage/rules/reset/", views.reset_rule, name="triage_reset_rule"),
    path("settings/triage/retrain/", views.retrain, name="triage_retrain"),
]
