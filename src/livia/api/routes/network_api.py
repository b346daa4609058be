"""The Neutron-shaped network API: one router for all of its resources."""

from __future__ import annotations

from fastapi import APIRouter

from livia.api.routes import floatingips, networks, ports, security_groups, subnets

router = APIRouter()
for _module in (networks, subnets, ports, security_groups, floatingips):
    router.include_router(_module.router)
