from django.urls import path

from attenda.demo import views

urlpatterns = [
    path("demo/outbox/", views.outbox, name="demo_outbox"),
    path("demo/outbox/<str:name>/", views.outbox_message, name="demo_outbox_mail"),
]
