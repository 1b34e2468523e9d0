"""CORS for browser clients (HarperDB Studio and others), when origins are configured.

``LOADMASTER_CORS_ORIGINS`` lists the origins allowed to call the Operations API from a page
(``*`` for any); without it no CORS header is sent and browsers keep other origins out.
Preflight requests (``OPTIONS /``) are answered by Starlette's middleware.
"""

from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

from loadmaster.settings import Settings

#: Request headers a page may send: HarperDB clients send these two (Basic or Bearer auth).
ALLOWED_HEADERS = ("authorization", "content-type")
#: Seconds a browser may cache a preflight answer.
PREFLIGHT_MAX_AGE = 600


def cors_middleware(settings: Settings) -> list[Middleware]:
    """Return the middleware answering CORS for the configured origins (none: no CORS)."""
    origins = settings.cors_origin_list
    if not origins:
        return []
    return [
        Middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=("GET", "POST", "PUT", "OPTIONS"),
            allow_headers=ALLOWED_HEADERS,
            max_age=PREFLIGHT_MAX_AGE,
        )
    ]
