from django.urls import path

from attenda.tickets import views

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("tickets/<int:number>/", views.ticket, name="ticket"),
    path("contacts/new/", views.log_contact, name="log_contact"),
    path("search/", views.search, name="search"),
]
