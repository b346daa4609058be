"""``/v2.0/livia/instances``: the user's cloud hosts, each a namespace with a port and a command.

Not part of OpenStack: Livia's stand-in for Nova servers, so that the hosts
behind a load balancer (and test clients) can live on the same tenant
networks. ``livia instance create|list|exec|delete`` drives it.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import Field
from sqlalchemy import Connection

from livia.api import listing, refs
from livia.api.context import CallDep, new_id
from livia.api.schemas.fields import Body, IpAddress, Out, Uuid
from livia.api.views import view
from livia.domain.errors import Duplicate, InvalidInput, NotFound
from livia.domain.instances import Instance
from livia.domain.networks import OWNER_INSTANCE
from livia.domain.visibility import Need
from livia.store import instances, networks, tables
from livia.store.records import utcnow

router = APIRouter(tags=["instances"])
RESOURCE = "Instance"
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$"


class InstanceCreate(Body):
    name: str = Field(pattern=NAME_PATTERN)
    network_id: Uuid
    ip_address: IpAddress | None = None
    command: list[str] = Field(default_factory=lambda: ["sleep", "infinity"], min_length=1)
    project_id: str | None = None


class InstanceCreateBody(Body):
    instance: InstanceCreate


class InstanceOut(Out):
    id: str | None = None
    name: str | None = None
    network_id: str | None = None
    port_id: str | None = None
    ip_address: str | None = None
    command: list[str] | None = None
    status: str | None = None


class InstanceOne(Out):
    instance: InstanceOut


class InstanceMany(Out):
    instances: list[InstanceOut]


def present(conn: Connection, items: list[Instance]) -> list[dict[str, Any]]:
    out = []
    for i in items:
        d = view(i, blank=())
        port = networks.ports.get(conn, i.port_id) if i.port_id else None
        d["ip_address"] = port.first_ip if port else None
        out.append(d)
    return out


def _by_name_or_id(conn: Connection, key: str, scope: str | None) -> Instance:
    t = tables.instances
    found = instances.records.where(conn, (t.c.id == key) | (t.c.name == key))
    found = [i for i in found if scope is None or i.project_id == scope]
    if not found:
        raise NotFound(RESOURCE, key)
    return found[0]


@router.post("/instances", status_code=201, response_model=InstanceOne)
def create_instance(body: InstanceCreateBody, call: CallDep) -> dict[str, Any]:
    call.require_write()
    spec = body.instance
    with call.db.write() as conn:
        if instances.records.where(conn, tables.instances.c.name == spec.name):
            raise Duplicate(f"An instance named {spec.name} already exists.")
        network = refs.network(conn, call.caller, spec.network_id, Need.USE)
        subnets = networks.subnets_of(conn, network.id)
        if not subnets:
            raise InvalidInput(f"Network {network.id} has no subnet to take an address from.")
        subnet = subnets[0]
        if spec.ip_address:
            subnet = next((s for s in subnets if _contains(s.cidr, spec.ip_address)), subnet)
        project = call.owning_project(spec.project_id)
        instance_id = new_id()
        port = networks.create_port(conn, project=project, network_id=network.id,
                                    fixed_ips=[(subnet, spec.ip_address)],
                                    name=f"instance-{spec.name}", device_owner=OWNER_INSTANCE,
                                    device_id=instance_id)
        instance = Instance(id=instance_id, project_id=project, name=spec.name,
                            network_id=network.id, port_id=port.id,
                            command=tuple(spec.command), status="BUILD", created_at=utcnow(),
                            updated_at=None)
        instances.records.insert(conn, instance)
        out = present(conn, [instance])[0]
    call.wake()
    return {"instance": out}


def _contains(cidr: str, address: str) -> bool:
    return ipaddress.ip_address(address) in ipaddress.ip_network(cidr)


@router.get("/instances", response_model=InstanceMany)
def list_instances(request: Request, call: CallDep) -> dict[str, Any]:
    query = listing.list_query(request.query_params, project_scope=call.scope,
                               max_limit=call.settings.pagination_max_limit)
    with call.db.read() as conn:
        page = instances.records.page(conn, query,
                                      tables.instances.c.status != "DELETING")
        return {"instances": present(conn, page.items)}


@router.get("/instances/{name_or_id}", response_model=InstanceOne)
def show_instance(name_or_id: str, call: CallDep) -> dict[str, Any]:
    with call.db.read() as conn:
        return {"instance": present(conn, [_by_name_or_id(conn, name_or_id, call.scope)])[0]}


@router.delete("/instances/{name_or_id}", status_code=204, response_class=Response)
def delete_instance(name_or_id: str, call: CallDep) -> Response:
    call.require_write()
    with call.db.write() as conn:
        instance = _by_name_or_id(conn, name_or_id, call.scope)
        instances.records.update(conn, instance.id, status="DELETING")
    call.wake()
    return Response(status_code=204)
