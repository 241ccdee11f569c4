from django.urls import path

from attenda.channels.chat import views

urlpatterns = [
    path("chat/widget.js", views.widget_script, name="chat_widget_script"),
    path("chat/w/<str:key>/config/", views.widget_config, name="chat_config"),
    path("chat/w/<str:key>/start/", views.start, name="chat_start"),
    path("chat/w/<str:key>/messages/", views.send, name="chat_send"),
    path("chat/w/<str:key>/typing/", views.visitor_typing, name="chat_typing"),
    path("chat/w/<str:key>/end/", views.visitor_ends, name="chat_end"),
    path("chat/w/<str:key>/offline/", views.offline, name="chat_offline"),
    path("chat/w/<str:key>/events/", views.visitor_events, name="chat_events"),
    path("chats/", views.chat_list, name="chat_list"),
    path("chats/live/", views.chat_list_events, name="chat_list_events"),
    path("chats/ticket/<int:number>/events/", views.ticket_events, name="chat_ticket_events"),
    path("chats/<int:chat_id>/", views.conversation_page, name="chat_conversation"),
    path("chats/<int:chat_id>/accept/", views.accept, name="chat_accept"),
    path("chats/<int:chat_id>/events/", views.conversation_events, name="chat_conversation_events"),
    path("chats/<int:chat_id>/send/", views.agent_says, name="chat_agent_send"),
    path("chats/<int:chat_id>/typing/", views.agent_typing, name="chat_agent_typing"),
    path("chats/<int:chat_id>/end/", views.agent_ends, name="chat_agent_end"),
    path("settings/chat-widgets/", views.widget_list, name="chat_widget_list"),
    path("settings/chat-widgets/new/", views.widget_form, name="new_chat_widget"),
    path("settings/chat-widgets/<int:widget_id>/", views.widget_form, name="chat_widget"),
]
