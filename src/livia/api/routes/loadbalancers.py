"""``/v2/lbaas/loadbalancers``: the VIP, the status tree, statistics and failover."""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response

from livia.api import listing, quota, refs, routing, vips
from livia.api.context import Call, CallDep, new_id
from livia.api.routes import listeners as listener_routes
from livia.api.routes import pools as pool_routes
from livia.api.routes import security_groups
from livia.api.schemas.listeners import StatsOne
from livia.api.schemas.loadbalancers import (
    LoadBalancerCreate,
    LoadBalancerCreateBody,
    LoadBalancerMany,
    LoadBalancerOne,
    LoadBalancerOut,
    LoadBalancerUpdateBody,
    StatusTree,
)
from livia.api.views import all_in_model_order, id_refs, json_response, view
from livia.domain.errors import Immutable, InvalidInput
from livia.domain.flavors import check_vip_network, choose_provider
from livia.domain.loadbalancers import PROVIDERS, LoadBalancer
from livia.domain.quotas import MADE_BY, Resource
from livia.domain.status import (
    DELETABLE_STATUSES,
    FAILOVERABLE_STATUSES,
    OperatingStatus,
    ProvisioningStatus,
)
from livia.store import (
    amphorae,
    flavors,
    healthmonitors,
    l7policies,
    l7rules,
    listeners,
    loadbalancers,
    members,
    pools,
)
from livia.store.database import Connection
from livia.store.records import utcnow

router = routing.router("loadbalancers")
RESOURCE = refs.LOADBALANCER
HIDDEN = ("topology", "vrrp_id", "security_group_id", "flavor_options")


def present(conn: Connection, items: list[LoadBalancer]) -> list[dict[str, Any]]:
    children = loadbalancers.children_ids(conn, [lb.id for lb in items]) if items else {}
    out = []
    for lb in items:
        d = view(lb, hide=HIDDEN)
        listener_ids, pool_ids = children[lb.id]
        d["listeners"] = id_refs(listener_ids)
        d["pools"] = id_refs(pool_ids)
        d["vip_vnic_type"] = "normal"
        d["vip_sg_ids"] = None
        d["additional_vips"] = []
        out.append(d)
    return out


def _graph_view(conn: Connection, lb: LoadBalancer) -> dict[str, Any]:
    """A single-call create answers with the full tree, as Octavia does."""
    d = present(conn, [lb])[0]
    lb_listeners = listeners.records.where(conn, listeners.records.table.c.loadbalancer_id
                                           == lb.id)
    lb_pools = pools.records.where(conn, pools.records.table.c.loadbalancer_id == lb.id)
    d["listeners"] = listener_routes.present(conn, lb_listeners)
    d["pools"] = pool_routes.present(conn, lb_pools)
    return d


def _provider(name: str | None) -> str:
    provider = name or "amphora"
    if provider not in PROVIDERS:
        raise InvalidInput(f"Provider '{provider}' is not enabled.")
    return provider


def create(conn: Connection, call: Call, spec: LoadBalancerCreate) -> LoadBalancer:
    project = call.owning_project(spec.project_id or spec.tenant_id)
    where = flavors.placement(conn, spec.flavor_id, spec.availability_zone,
                              call.settings.amphora_hosts)
    provider = _provider(choose_provider(where, spec.provider, spec.flavor_id))
    if spec.additional_vips:
        raise InvalidInput("additional_vips are not supported by this provider.")
    if spec.vip_sg_ids:
        raise InvalidInput("vip_sg_ids are not supported by this provider.")
    topology = where.topology or call.settings.default_topology
    vip = vips.resolve(conn, call.caller, spec, project, topology)
    check_vip_network(where, vip.network.id)
    lb_id = new_id()
    lb = LoadBalancer(
        id=lb_id, project_id=project, name=spec.name, description=spec.description,
        admin_state_up=spec.admin_state_up,
        provisioning_status=ProvisioningStatus.PENDING_CREATE,
        operating_status=OperatingStatus.OFFLINE, vip_address=None, vip_port_id=None,
        vip_subnet_id=vip.subnet.id, vip_network_id=vip.network.id,
        vip_qos_policy_id=spec.vip_qos_policy_id, provider=provider, flavor_id=spec.flavor_id,
        availability_zone=spec.availability_zone, topology=topology,
        vrrp_id=vips.free_vrrp_id(conn, vip.network.id), security_group_id=None,
        created_at=utcnow(), updated_at=None, tags=tuple(spec.tags),
        flavor_options=where.options if spec.flavor_id else None,
    )
    loadbalancers.records.insert(conn, lb)
    group = security_groups.create_lb_group(conn, lb)
    port = vips.vip_port(conn, lb, vip, group.id)
    values = {"vip_port_id": port.id, "vip_address": port.first_ip,
              "security_group_id": group.id}
    loadbalancers.records.update(conn, lb_id, **values, updated_at=None)
    lb = loadbalancers.records.get(conn, lb_id)  # type: ignore[assignment]
    for pool_spec in spec.pools:
        pool_routes.add(conn, call.caller, lb, pool_spec, project)
    for listener_spec in spec.listeners:
        listener_routes.add(conn, call.caller, lb, listener_spec, project)
    made = (Resource.LOADBALANCER,) if not (spec.listeners or spec.pools) else MADE_BY[
        Resource.LOADBALANCER]
    quota.enforce(conn, call.settings, project, *made)
    return lb


@router.post("/loadbalancers", status_code=201, response_model=LoadBalancerOne,
             response_model_exclude_unset=True)
def create_loadbalancer(body: LoadBalancerCreateBody, call: CallDep) -> dict[str, Any]:
    call.require_write()
    spec = body.loadbalancer
    with call.db.write() as conn:
        lb = create(conn, call, spec)
        graph = bool(spec.listeners or spec.pools)
        out = _graph_view(conn, lb) if graph else present(conn, [lb])[0]
    call.wake()
    return {"loadbalancer": out}


@router.get("/loadbalancers", response_model=LoadBalancerMany,
            response_model_exclude_unset=True)
def list_loadbalancers(request: Request, call: CallDep) -> Response:
    query = listing.list_query(request.query_params, project_scope=call.scope,
                               max_limit=call.settings.pagination_max_limit)
    fields = listing.selected_fields(request.query_params)
    visible = loadbalancers.records.table.c.provisioning_status != ProvisioningStatus.DELETED
    with call.db.read() as conn:
        page = loadbalancers.records.page(conn, query, visible)
        items = all_in_model_order(LoadBalancerOut, [listing.select(d, fields)
                                                     for d in present(conn, page.items)])
    links = listing.links(call.base_url, request.url.path, request.query_params,
                          [{"id": lb.id} for lb in page.items], has_more=page.has_more,
                          query=query)
    # Documented by LoadBalancerMany (response_model) but not validated item by item.
    return json_response({"loadbalancers": items, "loadbalancers_links": links})


@router.get("/loadbalancers/{lb_id}", response_model=LoadBalancerOne,
            response_model_exclude_unset=True)
def show_loadbalancer(lb_id: str, request: Request, call: CallDep) -> dict[str, Any]:
    with call.db.read() as conn:
        out = present(conn, [refs.loadbalancer(conn, call.caller, lb_id)])[0]
    return {"loadbalancer": listing.select(out, listing.selected_fields(request.query_params))}


@router.put("/loadbalancers/{lb_id}", response_model=LoadBalancerOne,
            response_model_exclude_unset=True)
def update_loadbalancer(lb_id: str, body: LoadBalancerUpdateBody, call: CallDep
                        ) -> dict[str, Any]:
    call.require_write()
    given = body.loadbalancer.model_dump(exclude_unset=True)
    if not given:
        raise InvalidInput("No attributes to update were given.")
    if given.get("vip_sg_ids"):
        raise InvalidInput("vip_sg_ids are not supported by this provider.")
    given.pop("vip_sg_ids", None)
    with call.db.write() as conn:
        current = refs.loadbalancer(conn, call.caller, lb_id)
        loadbalancers.lock_for_change(conn, current.id)
        values = {k: (tuple(v or ()) if k == "tags" else v) for k, v in given.items()}
        if values.get("admin_state_up", True) is None:
            values["admin_state_up"] = True
        loadbalancers.records.update(conn, current.id, **values)
        out = present(conn, [refs.loadbalancer(conn, call.caller, lb_id)])[0]
    call.wake()
    return {"loadbalancer": out}


def _children(conn: Connection, lb_id: str) -> tuple[list[Any], list[Any]]:
    return (
        listeners.records.where(conn, listeners.records.table.c.loadbalancer_id == lb_id),
        pools.records.where(conn, pools.records.table.c.loadbalancer_id == lb_id),
    )


def _mark_tree_deleted(conn: Connection, lb_id: str) -> None:
    gone = ProvisioningStatus.PENDING_DELETE
    lb_listeners, lb_pools = _children(conn, lb_id)
    pool_ids = [p.id for p in lb_pools]
    listener_ids = [li.id for li in lb_listeners]
    policy_ids = [p.id for p in l7policies.records.where(
        conn, l7policies.records.table.c.listener_id.in_(listener_ids))]
    for repo, column, ids in (
        (listeners.records, "loadbalancer_id", [lb_id]),
        (pools.records, "loadbalancer_id", [lb_id]),
        (members.records, "pool_id", pool_ids),
        (healthmonitors.records, "pool_id", pool_ids),
        (l7policies.records, "listener_id", listener_ids),
        (l7rules.records, "l7policy_id", policy_ids),
    ):
        repo.update_where(conn, repo.table.c[column].in_(ids), provisioning_status=gone)


@router.delete("/loadbalancers/{lb_id}", status_code=204, response_class=Response)
def delete_loadbalancer(lb_id: str, request: Request, call: CallDep) -> Response:
    call.require_write()
    cascade = request.query_params.get("cascade", "false").lower() in ("true", "1", "yes")
    with call.db.write() as conn:
        current = refs.loadbalancer(conn, call.caller, lb_id)
        locked = loadbalancers.records.get(conn, current.id, for_update=True)
        assert locked is not None
        if locked.provisioning_status not in DELETABLE_STATUSES:
            raise Immutable(f"Invalid state {locked.provisioning_status} of loadbalancer "
                            f"resource {locked.id}")
        lb_listeners, lb_pools = _children(conn, current.id)
        if (lb_listeners or lb_pools) and not cascade:
            raise InvalidInput(f"Cannot delete Load Balancer {current.id} - it has children")
        _mark_tree_deleted(conn, current.id)
        loadbalancers.records.update(conn, current.id,
                                     provisioning_status=ProvisioningStatus.PENDING_DELETE)
    call.wake()
    return Response(status_code=204)


def status_tree(conn: Connection, lb: LoadBalancer) -> dict[str, Any]:
    graph = loadbalancers.load_graph(conn, lb.id)

    def status(obj: Any) -> dict[str, Any]:
        return {"id": obj.id, "name": getattr(obj, "name", None) or "",
                "provisioning_status": obj.provisioning_status.value,
                "operating_status": obj.operating_status.value}

    def pool_view(pool_id: str) -> dict[str, Any]:
        pool = graph.pool(pool_id)
        assert pool is not None
        d = status(pool)
        monitor = graph.monitor_of(pool.id)
        if monitor is not None:
            d["health_monitor"] = {**status(monitor), "type": monitor.type.value}
        d["members"] = [{**status(m), "address": m.address, "protocol_port": m.protocol_port}
                        for m in graph.members_of(pool.id)]
        return d

    listener_views = []
    for li in graph.listeners:
        pool_ids = [li.default_pool_id] if li.default_pool_id else []
        for policy in graph.policies_of(li.id):
            if (policy.redirect_pool_id and policy.admin_state_up
                    and graph.rules_of(policy.id) and policy.redirect_pool_id not in pool_ids):
                pool_ids.append(policy.redirect_pool_id)
        listener_views.append({**status(li), "pools": [pool_view(p) for p in pool_ids
                                                       if graph.pool(p)]})
    return {"loadbalancer": {**status(lb), "listeners": listener_views}}


@router.get("/loadbalancers/{lb_id}/status", response_model=StatusTree)
@router.get("/loadbalancers/{lb_id}/statuses", response_model=StatusTree,
            name="loadbalancer_statuses")  # a distinct OpenAPI operationId
def loadbalancer_status(lb_id: str, call: CallDep) -> dict[str, Any]:
    with call.db.read() as conn:
        return {"statuses": status_tree(conn, refs.loadbalancer(conn, call.caller, lb_id))}


@router.get("/loadbalancers/{lb_id}/stats", response_model=StatsOne)
def loadbalancer_stats(lb_id: str, call: CallDep) -> dict[str, Any]:
    with call.db.read() as conn:
        lb = refs.loadbalancer(conn, call.caller, lb_id)
        return {"stats": amphorae.stats_sum(conn, loadbalancer_id=lb.id)}


@router.put("/loadbalancers/{lb_id}/failover", status_code=202, response_class=Response)
def failover_loadbalancer(lb_id: str, call: CallDep) -> Response:
    call.require_admin()
    with call.db.write() as conn:
        current = refs.loadbalancer(conn, call.caller, lb_id)
        locked = loadbalancers.records.get(conn, current.id, for_update=True)
        assert locked is not None
        if locked.provisioning_status not in FAILOVERABLE_STATUSES:
            raise Immutable(f"Invalid state {locked.provisioning_status} of loadbalancer "
                            f"resource {locked.id}")
        amps = amphorae.records.where(conn, amphorae.records.table.c.loadbalancer_id
                                      == current.id)
        for amp in amps:
            if amp.status.value not in ("DELETED", "PENDING_DELETE"):
                amphorae.records.update(conn, amp.id, failover_reason="failover requested")
        loadbalancers.records.update(conn, current.id,
                                     provisioning_status=ProvisioningStatus.PENDING_UPDATE)
    call.wake()
    return Response(status_code=202)
