"""Hypercorn for the app: in the foreground with signals, or in a background thread."""

import asyncio
import signal
import socket
import ssl
import threading
from typing import TYPE_CHECKING

from hypercorn.asyncio import serve
from hypercorn.config import Config

from loadmaster.errors import ConfigurationError
from loadmaster.server.app import create_app

if TYPE_CHECKING:
    from loadmaster.instance import Instance
    from loadmaster.settings import Settings

#: Hypercorn closes an HTTP/2 connection after 1,000 requests by default, which breaks
#: long-lived h2c clients at request 1,001 (deps-and-limits.md §2a).
KEEP_ALIVE_MAX_REQUESTS = 1_000_000_000


def hypercorn_config(settings: "Settings", sock: socket.socket) -> Config:
    """Build the Hypercorn config: our bound socket, HTTP/1.1 + h2c, h2 over TLS if given."""
    config = Config()
    config.bind = [f"fd://{sock.detach()}"]
    config.keep_alive_max_requests = KEEP_ALIVE_MAX_REQUESTS
    config.accesslog = None
    config.graceful_timeout = 2.0
    config.loglevel = "WARNING"
    if settings.certfile is not None and settings.keyfile is not None:
        config.certfile = str(settings.certfile)
        config.keyfile = str(settings.keyfile)
    return config


def bind(host: str, port: int) -> socket.socket:
    """Bind a listening TCP socket ourselves, so port 0 works and its number is known."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(1024)
    except BaseException:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def listen(settings: "Settings") -> socket.socket:
    """Check what serving needs before anything is created: the TLS files, then the socket.

    Raises:
        ConfigurationError: The certificate or key cannot be loaded, or the address cannot be
            bound (in use, not an address of this machine): one line naming the setting.
    """
    if settings.certfile is not None and settings.keyfile is not None:
        try:
            ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(
                settings.certfile, settings.keyfile
            )
        except (OSError, ssl.SSLError) as exc:
            raise ConfigurationError(
                f"cannot load the TLS certificate {settings.certfile} with key "
                f"{settings.keyfile} (--certfile/LOADMASTER_CERTFILE, --keyfile/"
                f"LOADMASTER_KEYFILE): {exc}"
            ) from exc
    try:
        return bind(settings.host, settings.port)
    except (OSError, OverflowError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ConfigurationError(
            f"cannot listen on {settings.host}:{settings.port} (--host/LOADMASTER_HOST, "
            f"--port/LOADMASTER_PORT): {reason}"
        ) from exc


def serve_forever(instance: "Instance", sock: socket.socket) -> None:
    """Serve on a bound socket (see :func:`listen`) in the foreground until SIGINT or
    SIGTERM, then shut down gracefully."""
    config = hypercorn_config(instance.settings, sock)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await serve(create_app(instance), config, shutdown_trigger=stop.wait)  # type: ignore[arg-type]

    asyncio.run(main())


class BackgroundServer:
    """The HTTP server on a thread of its own (embedded use and tests)."""

    def __init__(self, instance: "Instance", *, host: str = "127.0.0.1", port: int = 0) -> None:
        self._instance = instance
        self._sock = bind(host, port)
        self.host = host
        self.port: int = self._sock.getsockname()[1]
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="loadmaster-http", daemon=True)
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        """Return the base URL, ``http://host:port`` (``https`` with a certificate)."""
        scheme = "https" if self._instance.settings.certfile else "http"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self.port}"

    def start(self) -> None:
        """Start serving and return once the event loop runs."""
        self._thread.start()
        self._ready.wait(10)
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        config = hypercorn_config(self._instance.settings, self._sock)

        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            self._ready.set()
            await serve(create_app(self._instance), config, shutdown_trigger=self._stop.wait)  # type: ignore[arg-type]

        try:
            asyncio.run(main())
        except BaseException as exc:
            self._error = exc
            self._ready.set()
            raise

    def stop(self) -> None:
        """Stop serving and wait for the thread to end."""
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)


def serve_in_background(
    instance: "Instance", host: str = "127.0.0.1", port: int = 0
) -> BackgroundServer:
    """Serve ``instance`` over HTTP from a background thread; return the running server."""
    server = BackgroundServer(instance, host=host, port=port)
    server.start()
    return server
