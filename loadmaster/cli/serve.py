"""``loadmaster serve``: the server in the foreground (the storage, the jobs and HTTP)."""

import logging
import sys
from typing import Any

from loadmaster.cli.commands import USAGE
from loadmaster.errors import ConfigurationError
from loadmaster.instance import Instance
from loadmaster.server.log_setup import configure_logging
from loadmaster.server.serve import listen, serve_forever
from loadmaster.settings import Settings

__all__ = ["serve"]


def serve(given: dict[str, Any]) -> int:
    """Serve with these flags (None where not given); return the exit code.

    Start-up errors are one line on stderr and exit status 2, found before anything is created.
    """
    try:
        settings = Settings.from_env(
            flags={
                name: "--" + name.replace("_", "-")
                for name, value in given.items()
                if value is not None
            },
            **given,
        )
        try:
            configure_logging(settings.log_level, settings.log_format)
        except ValueError as exc:
            raise ConfigurationError(f"{exc} (LOADMASTER_LOG_LEVEL/LOADMASTER_LOG_FORMAT)") from exc
        # The socket is bound before the data directory (or a password) is created.
        sock = listen(settings)
        try:
            instance = Instance(settings)
        except BaseException:
            sock.close()
            raise
    except ConfigurationError as exc:
        return fail(exc.message)
    except OSError as exc:
        return fail(
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


def fail(message: str) -> int:
    """Say a start-up error in one line on stderr; return the exit status of usage errors."""
    sys.stderr.write(f"loadmaster: error: {message}\n")
    return USAGE
