"""The one exception tree of Livia.

::

    LiviaError
    ├── InvalidInput            bad request: a value, a combination, a missing field
    ├── NotAuthenticated        no or unknown token
    ├── Forbidden               the role may not do this
    ├── NotFound                no such object (or not visible to the caller)
    ├── Conflict                the request clashes with what exists
    │   ├── Immutable           the object or its load balancer is PENDING_*
    │   ├── Duplicate           an equal object already exists
    │   └── InUse               another object still refers to it
    ├── QuotaExceeded
    ├── RequestTooLarge         the request body is over the API's cap
    ├── Unsupported             the provider does not support an option (Octavia's 501)
    └── DriverError             the data plane could not be changed
        ├── TemporaryError      try again later (the reconciler retries)
        └── PermanentError      retrying will not help; the object goes to ERROR

Domain code raises these; only ``livia.api.errors`` knows which HTTP status
each one becomes.
"""

from __future__ import annotations

from livia.domain.limits import quote


class LiviaError(Exception):
    """Root of every error Livia raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(LiviaError):
    pass


class NotAuthenticated(LiviaError):
    def __init__(self, message: str = "Authentication required") -> None:
        super().__init__(message)


class Forbidden(LiviaError):
    def __init__(
        self, message: str = "Policy does not allow this request to be performed."
    ) -> None:
        super().__init__(message)


class NotFound(LiviaError):
    def __init__(self, resource: str, object_id: str) -> None:
        super().__init__(f"{resource} {quote(object_id)} not found.")
        self.resource = resource
        self.object_id = object_id


class Conflict(LiviaError):
    pass


class Immutable(Conflict):
    pass


class Duplicate(Conflict):
    pass


class InUse(Conflict):
    pass


class QuotaExceeded(LiviaError):
    pass


class RequestTooLarge(LiviaError):
    pass


class Unsupported(LiviaError):
    """Octavia's ProviderUnsupportedOptionError: a provider refuses a key or value."""

    def __init__(self, provider: str, detail: str) -> None:
        super().__init__(f"Provider '{provider}' does not support a requested option: {detail}")


class DriverError(LiviaError):
    pass


class TemporaryError(DriverError):
    """The operation may succeed if tried again (a process not up yet, a busy lock)."""

    def __init__(self, message: str, delay: float = 0.5) -> None:
        super().__init__(message)
        self.delay = delay


class PermanentError(DriverError):
    """The operation cannot succeed as asked; the object goes to ERROR."""
