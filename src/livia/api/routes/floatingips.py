"""``/v2.0/floatingips``: an external address NATed to a port's fixed IP (Neutron-shaped)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["floatingips"])
