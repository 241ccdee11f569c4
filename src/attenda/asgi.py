"""The ASGI entry point that `attenda serve` runs under uvicorn."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "attenda.settings")
application = get_asgi_application()
