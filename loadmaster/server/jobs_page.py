"""``GET /ui/``: the live jobs page, static files shipped inside the package.

The files hold no data, so they are served without authentication; everything the page shows
comes from the authenticated API (``POST /``, the events route, the upload route). The page
works offline: no CDN, no build step. A strict Content-Security-Policy lets only the package's
own script and style run, and the script writes every job field with ``textContent``, so a
field holding markup stays text.
"""

from collections.abc import Callable
from importlib import resources
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from loadmaster.errors import LoadmasterError, NotFoundError
from loadmaster.server.openapi import error_responses

__all__ = ["FILES", "SECURITY_HEADERS", "jobs_page_routes", "openapi_paths"]

#: The page's files (in ``loadmaster/server/ui/``) and their media types; nothing else is served.
FILES = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "app.css": "text/css; charset=utf-8",
    "favicon.svg": "image/svg+xml",
}
#: Only the page's own files may load; no inline script or style, no framing, no form posts
#: (the forms are handled by the script, so a broken script cannot put a password in a URL).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cache-control": "no-cache",
}


class _JobsPage:
    """The page's files, read once from the package."""

    def __init__(self, render_error: Callable[[LoadmasterError], Response]) -> None:
        folder = resources.files(__package__).joinpath("ui")
        self._files = {name: folder.joinpath(name).read_bytes() for name in FILES}
        self._render_error = render_error

    async def file(self, request: Request) -> Response:
        """Answer with one of the page's files (``index.html`` for ``/ui/``)."""
        name = request.path_params.get("name") or "index.html"
        body = self._files.get(name)
        if body is None:
            return self._render_error(NotFoundError(f"No file {name!r} in /ui/"))
        return Response(body, media_type=FILES[name], headers=SECURITY_HEADERS)

    async def redirect(self, _: Request) -> Response:
        """Send ``/ui`` to ``/ui/``, so the page's relative links resolve."""
        return RedirectResponse("/ui/", status_code=308)


def jobs_page_routes(render_error: Callable[[LoadmasterError], Response]) -> list[Route]:
    """Return the routes of the jobs page."""
    page = _JobsPage(render_error)
    return [
        Route("/ui", page.redirect, methods=["GET"]),
        Route("/ui/", page.file, methods=["GET"]),
        Route("/ui/{name}", page.file, methods=["GET"]),
    ]


def openapi_paths() -> dict[str, Any]:
    """Describe the page's routes for ``/openapi.json``."""
    return {
        "/ui": {
            "get": {
                "operationId": "jobs_page_redirect",
                "summary": "Redirect to /ui/",
                "security": [],
                "responses": {"308": {"description": "To /ui/"}},
            }
        },
        "/ui/": {
            "get": {
                "operationId": "jobs_page",
                "summary": "The live jobs page (HTML; its data comes from the API)",
                "security": [],
                "responses": {
                    "200": {
                        "description": "The page",
                        "content": {"text/html": {"schema": {"type": "string"}}},
                    }
                },
            }
        },
        "/ui/{name}": {
            "get": {
                "operationId": "jobs_page_file",
                "summary": "A file of the jobs page: its script, style sheet, icon (or the page)",
                "security": [],
                "parameters": [
                    {
                        "name": "name",
                        "in": "path",
                        "required": True,
                        "schema": {"enum": sorted(FILES)},
                    }
                ],
                "responses": {
                    "200": {
                        "description": "The file",
                        "content": {
                            "text/javascript": {"schema": {"type": "string"}},
                            "text/css": {"schema": {"type": "string"}},
                            "image/svg+xml": {"schema": {"type": "string"}},
                            "text/html": {"schema": {"type": "string"}},
                        },
                    },
                    **error_responses(404),
                },
            }
        },
    }
