"""The JSON API: /api/v1, one router per domain, authenticated by per-agent tokens."""

from ninja import NinjaAPI

api = NinjaAPI(title="Attenda API", version="1", urls_namespace="api")
