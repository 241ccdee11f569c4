from django.urls import path

from attenda.portal import views

urlpatterns = [
    path("", views.home, name="portal_home"),
    path("sign-in/", views.sign_in, name="portal_sign_in"),
    path("sign-in/sent/", views.link_sent, name="portal_link_sent"),
    path("sign-in/<str:token>/", views.use_link, name="portal_link"),
    path("sign-out/", views.sign_out, name="portal_sign_out"),
    path("tickets/<int:number>/", views.ticket_page, name="portal_ticket"),
    path("tickets/<int:number>/reply/", views.reply, name="portal_reply"),
    path("tickets/<int:number>/solved/", views.solved, name="portal_solved"),
    path("attachments/<int:attachment_id>/", views.attachment, name="portal_attachment"),
    path("my-data.json", views.my_data, name="portal_my_data"),
]
