from django.urls import path

from attenda.channels.web import views

urlpatterns = [
    path("contact/", views.contact, name="web_form"),
    path("contact/embed.js", views.embed_script, name="web_form_script"),
    path("contact/thanks/<str:token>/", views.thanks, name="web_form_thanks"),
    path("settings/web-form/", views.held_list, name="web_form_held"),
    path("settings/web-form/<int:submission_id>/release/", views.release, name="web_form_release"),
]
