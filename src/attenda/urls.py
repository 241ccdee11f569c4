"""Every app mounts its pages here; the JSON API lives under /api/v1."""

from django.urls import include, path

from attenda.api.api import api

urlpatterns = [
    path("", include("attenda.core.urls")),
    path("", include("attenda.tickets.urls")),
    path("customers/", include("attenda.customers.urls")),
    path("", include("attenda.agents.urls")),
    path("", include("attenda.routing.urls")),
    path("", include("attenda.channels.email.urls")),
    path("", include("attenda.channels.web.urls")),
    path("portal/", include("attenda.portal.urls")),
    path("", include("attenda.channels.social.urls")),
    path("", include("attenda.channels.counter.urls")),
    path("", include("attenda.channels.phone.urls")),
    path("", include("attenda.channels.chat.urls")),
    path("", include("attenda.triage.urls")),
    path("", include("attenda.demo.urls")),
    path("api/v1/", api.urls),
]
