"""Pages speak the agent's language and show times in the agent's time zone."""

import zoneinfo
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation


class AgentPreferencesMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        agent = getattr(request, "user", None)
        if agent is not None and agent.is_authenticated:
            translation.activate(agent.language)
            request.LANGUAGE_CODE = agent.language
            try:
                timezone.activate(zoneinfo.ZoneInfo(agent.time_zone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        response = self.get_response(request)
        timezone.deactivate()
        return response
