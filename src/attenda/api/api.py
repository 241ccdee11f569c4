"""The JSON API: /api/v1, one router per domain, authenticated by per-agent tokens."""

from django.http import Http404, HttpRequest
from ninja import NinjaAPI, Router, Swagger

from attenda.api import (
    chats,
    customers,
    errors,
    inputs,
    mail,
    routing,
    social,
    teams,
    tickets,
    triage,
)
from attenda.api.auth import ApiTokenAuth
from attenda.api.unprocessable_mail import router as unprocessable_mail_router


class AttendaApi(NinjaAPI):
    def get_openapi_schema(self, **kwargs) -> dict:
        return errors.declare_errors(super().get_openapi_schema(**kwargs))


api = AttendaApi(
    title="Attenda API",
    version="1",
    description=(
        "Customers and their tickets, teams and agents. Authenticate with an agent's API token in the header "
        "`Authorization: Bearer <token>`. Every error is JSON: "
        '`{"code": "...", "message": "...", "fields": {"field": ["..."]}}`.'
    ),
    urls_namespace="api",
    auth=ApiTokenAuth(),
    # Swagger UI from django-ninja's own static files ("ninja" is an installed app; without it the
    # page would load its scripts from a CDN). Its settings travel as a JSON block read by a script
    # file, so the content security policy needs no inline script. No validator badge: that would
    # send the document to another site.
    docs=Swagger(settings={"validatorUrl": None, "persistAuthorization": False}),
    docs_url="/docs",
)
errors.install(api)
api.add_decorator(inputs.refuse_what_cannot_be_taken, mode="operation")
api.add_router("/customers", customers.router)
api.add_router("/tickets", tickets.router)
api.add_router("/mail", mail.router)
api.add_router("/unprocessable-mail", unprocessable_mail_router)
api.add_router("/routing", routing.router)
api.add_router("/teams", teams.teams_router)
api.add_router("/agents", teams.agents_router)
api.add_router("/triage", triage.router)
api.add_router("/social", social.router)
api.add_router("/chats", chats.router)

unknown = Router(auth=None)


@unknown.api_operation(
    ["GET", "POST", "PUT", "PATCH", "DELETE"], "/{path:rest}", include_in_schema=False
)
def unknown_path(request: HttpRequest, rest: str) -> None:
    """Paths no router serves still answer in the API's JSON shape, not with an HTML page."""
    raise Http404


# Last, so every real path is tried first.
api.add_router("", unknown)
