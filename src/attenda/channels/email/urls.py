from django.urls import path

from attenda.channels.email import views

urlpatterns = [
    path("settings/mailboxes/", views.mailbox_list, name="mailbox_list"),
    path("settings/mailboxes/new/", views.mailbox_form, name="new_mailbox"),
    path("settings/mailboxes/<int:mailbox_id>/", views.mailbox_form, name="edit_mailbox"),
    path("settings/mail/<int:mail_id>/let-through/", views.let_through, name="let_mail_through"),
    path("settings/mail/unprocessable/", views.unprocessable_list, name="unprocessable_list"),
    path("settings/mail/<int:mail_id>/", views.unprocessable_mail, name="unprocessable_mail"),
    path("settings/mail/<int:mail_id>/raw/", views.unprocessable_raw, name="unprocessable_raw"),
    path("settings/mail/<int:mail_id>/reprocess/", views.reprocess, name="reprocess_mail"),
    path("mail/<int:mail_id>/", views.mail_as_sent, name="mail_as_sent"),
    path("mail/<int:mail_id>/parts/<int:index>/", views.mail_part, name="mail_part"),
]
