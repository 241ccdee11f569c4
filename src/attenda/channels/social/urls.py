from django.urls import path

from attenda.channels.social import views

urlpatterns = [
    path("social/webhooks/<str:key>/", views.webhook, name="social_webhook"),
    path("settings/messaging/", views.account_list, name="social_account_list"),
    path("settings/messaging/new/", views.account_form, name="new_social_account"),
    path("settings/messaging/<int:account_id>/", views.account_form, name="edit_social_account"),
    path("settings/messaging/kept/", views.kept_list, name="social_kept_list"),
    path("settings/messaging/events/<int:event_id>/", views.kept_event, name="social_kept_event"),
]
