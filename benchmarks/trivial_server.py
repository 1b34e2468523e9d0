"""The reference server: a trivial Starlette ``POST /`` on loadmaster's Hypercorn config.

Run as ``python -m benchmarks.trivial_server --port P``. The endpoint decodes the JSON body and
answers a small JSON object, both with msgspec, so that the gap between it and ``get_job`` is
what loadmaster itself adds (authentication, dispatch, the registry).
"""

import argparse
import asyncio
import signal
import socket

import msgspec
from hypercorn.asyncio import serve
from hypercorn.config import Config
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

_DECODE = msgspec.json.Decoder().decode
_ENCODE = msgspec.json.Encoder().encode


async def _echo(request: Request) -> Response:
    body = _DECODE(await request.body())
    answer = [{"id": body.get("id"), "status": "COMPLETE", "message": "ok"}]
    return Response(_ENCODE(answer), media_type="application/json")


async def _health(_: Request) -> Response:
    return PlainTextResponse("ok")


app = Starlette(
    routes=[Route("/", _echo, methods=["POST"]), Route("/health", _health, methods=["GET"])]
)


def _config(host: str, port: int) -> Config:
    """Return loadmaster's own Hypercorn config bound to ``host:port`` (a copy if it moved)."""
    try:
        from loadmaster.server.serve import bind, hypercorn_config
        from loadmaster.settings import Settings

        return hypercorn_config(Settings(), bind(host, port))
    except ImportError:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(1024)
        config = Config()
        config.bind = [f"fd://{sock.detach()}"]
        config.keep_alive_max_requests = 1_000_000_000
        config.accesslog = None
        config.graceful_timeout = 2.0
        config.loglevel = "WARNING"
        return config


def main() -> None:
    """Serve until SIGINT or SIGTERM."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.trivial_server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    config = _config(args.host, args.port)

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await serve(app, config, shutdown_trigger=stop.wait)  # type: ignore[arg-type]

    asyncio.run(run())


if __name__ == "__main__":
    main()
