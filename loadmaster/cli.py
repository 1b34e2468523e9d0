"""``loadmaster serve``: run the server in the foreground.

Start-up errors (a bad setting, a port in use, a data directory another server holds) are
one line on stderr and exit status 2, found before anything is created.
"""

import argparse
import logging
import sys
from collections.abc import Sequence
from typing import NoReturn

from loadmaster.errors import ConfigurationError
from loadmaster.instance import Instance
from loadmaster.server.log_setup import LEVELS, configure_logging
from loadmaster.server.serve import listen, serve_forever
from loadmaster.settings import Settings

#: Exit status of a start-up error (as argparse's usage errors).
USAGE_ERROR = 2
_FLAGS = ("host", "port", "data", "certfile", "keyfile", "log_level")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(USAGE_ERROR, f"loadmaster: error: {message}\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = _Parser(prog="loadmaster")
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
        choices=LEVELS,
        help="log level (LOADMASTER_LOG_LEVEL, default INFO)",
    )
    args = parser.parse_args(argv)
    given = {name: getattr(args, name) for name in _FLAGS}
    try:
        settings = Settings.from_env(
            flags={
                name: "--" + name.replace("_", "-")
                for name, value in given.items()
                if value is not None
            },
            **given,
        )
        configure_logging(settings.log_level, settings.log_format)
        # The socket is bound before the data directory (or a password) is created.
        sock = listen(settings)
        try:
            instance = Instance(settings)
        except BaseException:
            sock.close()
            raise
    except ConfigurationError as exc:
        return _fail(exc.message)
    except OSError as exc:
        return _fail(
            f"cannot open the data directory {settings.data} (--data/LOADMASTER_DATA): {exc}"
        )
    with instance:
        logging.getLogger("loadmaster").info(
            "serving the Operations API on %s:%d, data in %s",
            settings.host,
            sock.getsockname()[1],
            settings.data,
        )
        serve_forever(instance, sock)
    return 0


def _fail(message: str) -> int:
    sys.stderr.write(f"loadmaster: error: {message}\n")
    return USAGE_ERROR
