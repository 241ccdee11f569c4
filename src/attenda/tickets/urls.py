from django.urls import path

from attenda.tickets import views

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("inbox/counts/", views.inbox_counts, name="inbox_counts"),
    path("inbox/bulk/", views.inbox_bulk, name="inbox_bulk"),
    path("inbox/live/", views.inbox_live, name="inbox_live"),
    path("tickets/passed-around/", views.passed_around, name="passed_around"),
    path("tickets/<int:number>/", views.ticket, name="ticket"),
    path("tickets/<int:number>/reply/", views.reply, name="ticket_reply"),
    path("tickets/<int:number>/notes/", views.add_note, name="ticket_note"),
    path("tickets/<int:number>/copies/", views.confirm_copies, name="ticket_copies"),
    path("tickets/<int:number>/assign/", views.assign, name="ticket_assign"),
    path(
        "tickets/<int:number>/assign/automatically/",
        views.assign_automatically,
        name="ticket_assign_automatically",
    ),
    path("tickets/<int:number>/transfer/", views.transfer, name="ticket_transfer"),
    path("tickets/<int:number>/properties/", views.change_properties, name="ticket_properties"),
    path("tickets/<int:number>/merge/", views.merge, name="ticket_merge"),
    path("tickets/<int:number>/timeline/", views.whole_timeline, name="ticket_timeline"),
    path(
        "tickets/<int:number>/hand-off/read/",
        views.acknowledge_handoff,
        name="ticket_handoff_read",
    ),
    path("tickets/<int:number>/presence/", views.presence, name="ticket_presence"),
    path("attachments/<int:attachment_id>/", views.attachment, name="attachment"),
    path("entries/<int:entry_id>/source/", views.entry_source, name="entry_source"),
    path("contacts/new/", views.log_contact, name="log_contact"),
    path("contacts/new/customer/", views.log_contact_new_customer, name="log_contact_new_customer"),
    path("search/", views.search_page, name="search"),
]
