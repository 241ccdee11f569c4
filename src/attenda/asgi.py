"""The ASGI entry point that `attenda serve` runs under uvicorn."""

import os
import warnings

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "attenda.settings")
# WhiteNoise streams static files from a synchronous file iterator, which Django under ASGI serves
# correctly but warns about on every file; the warning says nothing an operator can act on.
warnings.filterwarnings(
    "ignore", message="StreamingHttpResponse must consume synchronous iterators"
)
application = get_asgi_application()
