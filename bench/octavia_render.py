"""Render Octavia's own haproxy.cfg for one load balancer (run by bench/.octavia-venv's Python).

This file imports only the ``octavia`` package from PyPI (installed by the data-plane
benchmark into its own virtualenv, never into Livia's) and the standard library. It
reads a JSON description of the load balancer on stdin and prints the configuration
Octavia's amphora driver would send, built with Octavia's templater and data models
exactly as its service does (templates are the package's; nothing is copied here).

stdin: {"lb_id", "project_id", "vip", "base_path", "haproxy_version": "2.6",
        "amphorae": [{"id", "role", "vrrp_ip", "priority"}],
        "listener": {"id", "port", "connection_limit"},
        "pool": {"id", "members": [{"id", "address", "port", "weight"}],
                 "monitor": {"id", "type", "delay", "timeout", "max_retries",
                             "http_method", "url_path", "expected_codes"}}}
"""

import json
import sys
from typing import Any

import octavia.common.config  # noqa: F401  (registers the options the templater reads)
from octavia.common import data_models as dm
from octavia.common.jinja.haproxy.combined_listeners import jinja_cfg
from oslo_config import cfg


def build(doc: dict[str, Any]) -> tuple[Any, Any]:
    lb = dm.LoadBalancer(id=doc["lb_id"], project_id=doc["project_id"], enabled=True,
                         topology="ACTIVE_STANDBY", provisioning_status="ACTIVE")
    lb.vip = dm.Vip(load_balancer_id=lb.id, ip_address=doc["vip"])
    lb.amphorae = [dm.Amphora(id=a["id"], load_balancer_id=lb.id, status="ALLOCATED",
                              role=a["role"], vrrp_ip=a["vrrp_ip"], ha_ip=doc["vip"],
                              vrrp_priority=a["priority"]) for a in doc["amphorae"]]
    p = doc["pool"]
    m = p["monitor"]
    monitor = dm.HealthMonitor(id=m["id"], type=m["type"], delay=m["delay"],
                               timeout=m["timeout"], rise_threshold=m["max_retries"],
                               fall_threshold=m["max_retries"], http_method=m["http_method"],
                               url_path=m["url_path"], expected_codes=m["expected_codes"],
                               enabled=True, provisioning_status="ACTIVE")
    members = [dm.Member(id=x["id"], ip_address=x["address"], protocol_port=x["port"],
                         weight=x["weight"], enabled=True, backup=False,
                         provisioning_status="ACTIVE", operating_status="ONLINE")
               for x in p["members"]]
    pool = dm.Pool(id=p["id"], project_id=lb.project_id, protocol="HTTP",
                   lb_algorithm="ROUND_ROBIN", enabled=True, tls_enabled=False,
                   members=members, health_monitor=monitor, provisioning_status="ACTIVE",
                   l7policies=[], listeners=[])
    li = doc["listener"]
    listener = dm.Listener(id=li["id"], project_id=lb.project_id, protocol="HTTP",
                           protocol_port=li["port"], connection_limit=li["connection_limit"],
                           enabled=True, insert_headers={}, load_balancer=lb,
                           default_pool=pool, default_pool_id=pool.id, pools=[pool],
                           l7policies=[], sni_containers=[], provisioning_status="ACTIVE")
    pool.listeners = [listener]
    lb.listeners = [listener]
    lb.pools = [pool]
    return lb, listener


def main() -> None:
    doc = json.load(sys.stdin)
    cfg.CONF(args=[], project="octavia", default_config_files=[])
    lb, listener = build(doc)
    templater = jinja_cfg.JinjaTemplater(base_amp_path=doc["base_path"],
                                         base_crt_dir=doc["base_path"] + "/certs",
                                         connection_logging=True)
    sys.stdout.write(templater.build_config(
        host_amphora=lb.amphorae[0], listeners=[listener], tls_certs={},
        haproxy_versions=doc["haproxy_version"].split(".")[:2], amp_details=None))


if __name__ == "__main__":
    main()
