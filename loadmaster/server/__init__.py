"""The HTTP door of loadmaster: the Starlette app, request credentials, Hypercorn.

``serve_forever`` runs the server in the foreground (``loadmaster serve``);
``serve_in_background`` runs it on a thread of an embedding process (``Instance.serve``).
"""

from loadmaster.server.app import create_app
from loadmaster.server.serve import BackgroundServer, serve_forever, serve_in_background

__all__ = ["BackgroundServer", "create_app", "serve_forever", "serve_in_background"]
