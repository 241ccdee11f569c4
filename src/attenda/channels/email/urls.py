from django.urls import path

from attenda.channels.email import views

urlpatterns = [
    path("settings/mailboxes/", views.mailbox_list, name="mailbox_list"),
    path("settings/mailboxes/new/", views.mailbox_form, name="new_mailbox"),
    path("settings/mailboxes/<int:mailbox_id>/", views.mailbox_form, name="edit_mailbox"),
    path("settings/mail/<int:mail_id>/let-through/", views.let_through, name="let_mail_through"),
]
