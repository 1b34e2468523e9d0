"""The ``loadmaster`` command: ``serve`` runs the server in the foreground; the client
commands (``load``, ``export``, ``jobs``, ``job``, ``cancel``, ``sql``) talk to one."""

import argparse
import logging
from collections.abc import Sequence

from loadmaster.cli.commands import add_commands, add_connection, run_command
from loadmaster.instance import Instance
from loadmaster.server.log_setup import LEVELS, configure_logging
from loadmaster.server.openapi import package_version
from loadmaster.server.serve import serve_forever
from loadmaster.settings import Settings


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = argparse.ArgumentParser(prog="loadmaster")
    parser.add_argument("--version", action="version", version=f"loadmaster {package_version()}")
    add_connection(parser, top=True)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the Operations API over HTTP")
    serve.add_argument("--host", help="address to bind (LOADMASTER_HOST, default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (LOADMASTER_PORT, default 9925)")
    serve.add_argument("--data", help="data directory (LOADMASTER_DATA, default ./data)")
    serve.add_argument(
        "--certfile", help="TLS certificate: serve h2 over TLS (LOADMASTER_CERTFILE)"
    )
    serve.add_argument("--keyfile", help="TLS private key (LOADMASTER_KEYFILE)")
    serve.add_argument(
        "--log-level",
        type=str.upper,
        choices=LEVELS,
        help="log level (LOADMASTER_LOG_LEVEL, default INFO)",
    )
    add_commands(commands)
    args = parser.parse_args(argv)
    if args.command != "serve":
        return run_command(args)
    settings = Settings.from_env(
        host=args.host,
        port=args.port,
        data=args.data,
        certfile=args.certfile,
        keyfile=args.keyfile,
        log_level=args.log_level,
    )
    configure_logging(settings.log_level, settings.log_format)
    with Instance(settings) as instance:
        logging.getLogger("loadmaster").info(
            "serving the Operations API on %s:%d, data in %s",
            settings.host,
            settings.port,
            settings.data,
        )
        serve_forever(instance, settings.host, settings.port)
    return 0
