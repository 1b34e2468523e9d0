"""Who the callers are and what they may do: users, roles, tokens, permissions, the throttle.

:class:`UserStore` keeps the users and roles of ``system.hdb_user`` / ``system.hdb_role``,
checks passwords (salted scrypt) and tokens (JWT), and delays repeated failed logins
(:class:`LoginThrottle`). ``permissions`` and ``authorization`` judge a role's rights on
databases, tables and attributes.
"""

from loadmaster.auth.throttle import LoginThrottle
from loadmaster.auth.users import UserStore

__all__ = ["LoginThrottle", "UserStore"]
