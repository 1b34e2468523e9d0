"""The Operations API, independent of HTTP: one Struct and one handler per operation.

``schema`` declares the wire Structs (a tagged union on ``operation``); each handler module
registers its operations on the table of ``table`` with ``@operation``, which also declares
who may call them (``access``). ``dispatch`` decodes a body once, authorizes the caller and
runs the handler; the HTTP server and the embedded API both come in through it.
"""

from loadmaster.operations.dispatch import begin, convert, decode, execute
from loadmaster.operations.handler_context import Context

__all__ = ["Context", "begin", "convert", "decode", "execute"]
