"""``/v2.0/livia/instances``: the user's cloud hosts, each a namespace with a port and a command.

Not part of OpenStack: Livia's stand-in for Nova servers, so that the hosts
behind a load balancer (and test clients) can live on the same tenant
networks. ``livia instance create|list|exec|delete`` drives it.

Instances are an operator's tool: admin-only (403 for others) unless
``livia serve --project-instances`` lets projects have them. An admin's
instance runs as root; a project's runs confined (``livia.domain.instances``).
"""

from __future__ import annotations

import ipaddress
from typing import Any

from fastapi import Request, Response

from livia.api import listing, refs, routing
from livia.api.context import Call, CallDep, new_id
from livia.api.openapi import documented
from livia.api.schemas.instances import InstanceCreateBody, InstanceMany, InstanceOne
from livia.api.views import view
from livia.domain import instances as rules
from livia.domain.errors import Forbidden, InvalidInput
from livia.domain.instances import BUILD, DELETING, Instance
from livia.domain.networks import OWNER_INSTANCE
from livia.domain.visibility import Need
from livia.store import instances, networks
from livia.store.database import Connection
from livia.store.records import utcnow

router = routing.router("instances", responses=documented(403))  # admin-only by default


def _allowed(call: Call, *, write: bool = False) -> None:
    """Admins always; projects only with ``project_instances``, and readers only read."""
    if call.caller.is_admin:
        return
    if not call.settings.project_instances:
        raise Forbidden()
    if write:
        call.require_write()


def present(conn: Connection, items: list[Instance]) -> list[dict[str, Any]]:
    out = []
    for i in items:
        d = view(i, blank=())
        port = networks.ports.get(conn, i.port_id) if i.port_id else None
        d["ip_address"] = port.first_ip if port else None
        out.append(d)
    return out


def _contains(cidr: str, address: str) -> bool:
    return ipaddress.ip_address(address) in ipaddress.ip_network(cidr)


@router.post("/instances", status_code=201, response_model=InstanceOne)
def create_instance(body: InstanceCreateBody, call: CallDep) -> dict[str, Any]:
    _allowed(call, write=True)
    spec = body.instance
    rules.check_command(spec.command)
    project = call.owning_project(spec.project_id)
    with call.db.write() as conn:
        instances.check_name_free(conn, project, spec.name)
        network = refs.network(conn, call.caller, spec.network_id, Need.USE)
        subnets = networks.subnets_of(conn, network.id)
        if not subnets:
            raise InvalidInput(f"Network {network.id} has no subnet to take an address from.")
        subnet = subnets[0]
        if spec.ip_address:
            subnet = next((s for s in subnets if _contains(s.cidr, spec.ip_address)), subnet)
        instance_id = new_id()
        port = networks.create_port(conn, project=project, network_id=network.id,
                                    fixed_ips=[(subnet, spec.ip_address)],
                                    name=f"instance-{spec.name}", device_owner=OWNER_INSTANCE,
                                    device_id=instance_id)
        instance = instances.add(conn, Instance(
            id=instance_id, project_id=project, name=spec.name, network_id=network.id,
            port_id=port.id, command=tuple(spec.command), status=BUILD, created_at=utcnow(),
            updated_at=None, confined=not call.caller.is_admin))
        out = present(conn, [instance])[0]
    call.wake()
    return {"instance": out}


@router.get("/instances", response_model=InstanceMany)
def list_instances(request: Request, call: CallDep) -> dict[str, Any]:
    _allowed(call)
    query = listing.list_query(request.query_params, project_scope=call.scope,
                               max_limit=call.settings.pagination_max_limit)
    with call.db.read() as conn:
        page = instances.records.page(conn, query, instances.listed())
        return {"instances": present(conn, page.items)}


@router.get("/instances/{name_or_id}", response_model=InstanceOne)
def show_instance(name_or_id: str, call: CallDep) -> dict[str, Any]:
    _allowed(call)
    with call.db.read() as conn:
        return {"instance": present(conn, [refs.instance(conn, call.caller, name_or_id)])[0]}


@router.delete("/instances/{name_or_id}", status_code=204, response_class=Response)
def delete_instance(name_or_id: str, call: CallDep) -> Response:
    _allowed(call, write=True)
    with call.db.write() as conn:
        instance = refs.instance(conn, call.caller, name_or_id)
        instances.records.update(conn, instance.id, status=DELETING)
    call.wake()
    return Response(status_code=204)
