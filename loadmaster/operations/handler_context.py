"""What a handler gets besides its operation: the services of the instance and the caller."""

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from loadmaster.actors.system import JobSystem
    from loadmaster.auth.users import UserStore
    from loadmaster.models import User
    from loadmaster.settings import Settings
    from loadmaster.storage import Store


@dataclass(frozen=True, slots=True)
class Context:
    """The services an operation handler may use, and the authenticated caller."""

    store: "Store"
    jobs: "JobSystem"
    users: "UserStore"
    settings: "Settings"
    user: "User"
