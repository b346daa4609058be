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

from livia.api import errors, openapi
from livia.api.body_limit import BodyLimit
from livia.api.context import ApiServices
from livia.api.routes import (
    amphorae,
    flavors,
    healthmonitors,
    identity,
    instances,
    l7policies,
    l7rules,
    listeners,
    loadbalancers,
    members,
    network_api,
    pools,
    quotas,
    root,
)
from livia.domain import limits

LBAAS = (loadbalancers, listeners, pools, members, healthmonitors, l7policies, l7rules,
         flavors, quotas)

DESCRIPTION = """\
Livia serves OpenStack Octavia's load-balancer API (v2) and the part of
Neutron's network API that load balancers need, over real HAProxy and
keepalived. `/v2` and `/v2.0` are aliases. Authenticate with `X-Auth-Token`.
Errors are `{{"faultcode", "faultstring", "debuginfo"}}`.

Limits: a request body is at most {body} bytes (413 otherwise, before it is
read); an object has at most {tags} tags of at most {tag} characters; names
and descriptions are at most {name} characters, every other string and list
has the maximum its schema shows; a batch member update holds at most
{batch} members and a fully populated load balancer create at most {graph}
objects. The server closes a connection whose request headers are not
complete {header:g} s after its first byte, or whose body is not complete
{body_time:g} s after its headers (408).
"""


def _unique_ids(prefix: str) -> Callable[[APIRoute], str]:
    def generate(route: APIRoute) -> str:
        return f"{prefix}_{route.name}"

    return generate


def _mount(app: FastAPI, router: APIRouter, prefix: str, tag: str) -> None:
    app.include_router(router, prefix=prefix,
                       generate_unique_id_function=_unique_ids(tag))


def create_app(services: ApiServices) -> FastAPI:
    settings = services.settings
    description = DESCRIPTION.format(
        body=settings.max_request_body_bytes, tags=limits.MAX_TAGS, tag=limits.TAG_LENGTH,
        name=limits.NAME_LENGTH, batch=limits.MAX_BATCH_MEMBERS,
        graph=limits.MAX_GRAPH_OBJECTS, header=settings.http_header_timeout,
        body_time=settings.http_body_timeout)
    app = FastAPI(title="Livia", version="2.30", description=description,
                  openapi_url="/openapi.json", docs_url="/docs", redoc_url=None)
    app.state.services = services
    errors.install(app)
    openapi.install(app, settings.max_request_body_bytes)
    app.add_middleware(BodyLimit, max_bytes=settings.max_request_body_bytes)
    app.include_router(root.router)
    for prefix in ("/identity/v3", "/v3"):
        _mount(app, identity.router, prefix, prefix.strip("/").replace("/", "_"))
    for version in ("v2", "v2.0"):
        tag = version.replace(".", "_")
        for module in LBAAS:
            _mount(app, module.router, f"/{version}/lbaas", tag)
        _mount(app, amphorae.router, f"/{version}/octavia", tag)
        _mount(app, network_api.router, f"/{version}", tag)
        _mount(app, instances.router, f"/{version}/livia", tag)
    return app
