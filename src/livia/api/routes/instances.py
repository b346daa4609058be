"""``/v2.0/livia/instances``: the user's cloud hosts, each a namespace with a port and a command."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["instances"])
