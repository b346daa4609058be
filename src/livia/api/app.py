"""The FastAPI application: Octavia's v2 API and a Neutron-shaped network API.

Octavia's resources answer under ``/v2/lbaas`` and ``/v2.0/lbaas`` (aliases),
amphorae under ``/v2[.0]/octavia``; the network resources under ``/v2.0``
and ``/v2`` (the ``openstack`` CLI looks subnets up under both when one
endpoint serves every service).
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute

from livia.api import errors
from livia.api.body_limit import BodyLimit
from livia.api.context import ApiServices
from livia.api.routes import (
    amphorae,
    healthmonitors,
    instances,
    l7policies,
    l7rules,
    listeners,
    loadbalancers,
    members,
    network_api,
    pools,
    root,
)

LBAAS = (loadbalancers, listeners, pools, members, healthmonitors, l7policies, l7rules)

DESCRIPTION = """\
Livia serves OpenStack Octavia's load-balancer API (v2) and the part of
Neutron's network API that load balancers need, over real HAProxy and
keepalived. `/v2` and `/v2.0` are aliases. Authenticate with `X-Auth-Token`.
Errors are `{"faultcode", "faultstring", "debuginfo"}`.
"""


def _unique_ids(prefix: str) -> Callable[[APIRoute], str]:
    def generate(route: APIRoute) -> str:
        return f"{prefix}_{route.name}"

    return generate


def _mount(app: FastAPI, router: APIRouter, prefix: str, tag: str) -> None:
    app.include_router(router, prefix=prefix,
                       generate_unique_id_function=_unique_ids(tag))


def create_app(services: ApiServices) -> FastAPI:
    app = FastAPI(title="Livia", version="2.30", description=DESCRIPTION,
                  openapi_url="/openapi.json", docs_url="/docs", redoc_url=None)
    app.state.services = services
    errors.install(app)
    app.add_middleware(BodyLimit, max_bytes=services.settings.max_request_body_bytes)
    app.include_router(root.router)
    for version in ("v2", "v2.0"):
        tag = version.replace(".", "_")
        for module in LBAAS:
            _mount(app, module.router, f"/{version}/lbaas", tag)
        _mount(app, amphorae.router, f"/{version}/octavia", tag)
        _mount(app, network_api.router, f"/{version}", tag)
        _mount(app, instances.router, f"/{version}/livia", tag)
    return app
