"""How an agent action fails: an HTTP status, a short reason and the details.

The API turns an ``AgentFailure`` into ``{"error": <short>, "details": <text>}``
(``livia.protocol.agent``); nothing else in the agent knows HTTP statuses.
"""

from __future__ import annotations

from livia.domain.errors import LiviaError


class AgentFailure(LiviaError):
    def __init__(self, status: int, error: str, details: str = "") -> None:
        super().__init__(error)
        self.status = status
        self.error = error
        self.details = details


def rejected(error: str, details: str = "") -> AgentFailure:
    """The request (a configuration, a document) is wrong; retrying will not help."""
    return AgentFailure(400, error, details)


def not_found(error: str, details: str = "") -> AgentFailure:
    return AgentFailure(404, error, details)


def conflict(error: str, details: str = "") -> AgentFailure:
    return AgentFailure(409, error, details)


def failed(error: str, details: str = "") -> AgentFailure:
    """The amphora could not do it (a process did not start, a reload failed)."""
    return AgentFailure(500, error, details)


def not_ready(error: str, details: str = "") -> AgentFailure:
    """Something the request needs is not there yet (an interface not moved in)."""
    return AgentFailure(503, error, details)
