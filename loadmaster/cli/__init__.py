"""The ``loadmaster`` command: ``serve`` runs the server in the foreground; the client
commands (``load``, ``export``, ``jobs``, ``job``, ``cancel``, ``sql``) talk to one.

Start-up errors (a bad setting, a port in use, a data directory another server holds) are
one line on stderr and exit status 2, found before anything is created.
"""

import argparse
from collections.abc import Sequence
from typing import NoReturn

from loadmaster import package
from loadmaster.cli.commands import USAGE, add_commands, add_connection, run_command
from loadmaster.settings import LOG_LEVELS

_FLAGS = ("host", "port", "data", "certfile", "keyfile", "log_level")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(USAGE, f"loadmaster: error: {message}\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = _Parser(prog="loadmaster")
    parser.add_argument("--version", action="version", version=f"loadmaster {package.version()}")
    add_connection(parser, top=True)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the Operations API over HTTP")
    serve.add_argument("--host", help="address to bind (LOADMASTER_HOST, default 127.0.0.1)")
    serve.add_argument("--port", help="port (LOADMASTER_PORT, default 9925)")
    serve.add_argument("--data", help="data directory (LOADMASTER_DATA, default ./data)")
    serve.add_argument(
        "--certfile", help="TLS certificate: serve h2 over TLS (LOADMASTER_CERTFILE)"
    )
    serve.add_argument("--keyfile", help="TLS private key (LOADMASTER_KEYFILE)")
    serve.add_argument(
        "--log-level",
        type=str.upper,
        choices=LOG_LEVELS,
        help="log level (LOADMASTER_LOG_LEVEL, default INFO)",
    )
    add_commands(commands)
    args = parser.parse_args(argv)
    if args.command != "serve":
        return run_command(args)
    # Only serving needs the storage, the jobs and the HTTP server: loaded here, not above.
    from loadmaster.cli.serve import serve as run_server

    return run_server({name: getattr(args, name) for name in _FLAGS})
