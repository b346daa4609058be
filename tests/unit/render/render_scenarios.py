"""The load balancers the golden files are rendered from, one function each."""

from __future__ import annotations

from collections.abc import Callable

from render_graphs import GraphFactory

from livia.domain.healthmonitors import HttpMethod, MonitorType
from livia.domain.l7policies import L7Action
from livia.domain.l7rules import CompareType, L7RuleType
from livia.domain.listeners import ListenerProtocol
from livia.domain.loadbalancers import LoadBalancerGraph
from livia.domain.pools import LbAlgorithm, PersistenceType, PoolProtocol
from livia.domain.status import Topology

Scenario = Callable[[GraphFactory], LoadBalancerGraph]


def seed_pool(f: GraphFactory, algorithm: LbAlgorithm = LbAlgorithm.SOURCE_IP) -> None:
    """The seed's walk-through: HTTP:80, two members of weights 1 and 2, a PING monitor."""
    pool = f.pool(algorithm=algorithm)
    f.listener(ListenerProtocol.HTTP, 80, pool)
    f.member(pool, "198.18.0.8", 80, weight=1)
    f.member(pool, "198.18.0.9", 80, weight=2)
    f.monitor(pool, MonitorType.PING, delay=5, timeout=5, max_retries=3, max_retries_down=3)
    f.sg_rule("tcp", 80, 80, "0.0.0.0/0")  # lb-<id> follows the listener


def seed(f: GraphFactory) -> LoadBalancerGraph:
    seed_pool(f)
    return f.graph()


def seed_http_monitor(f: GraphFactory) -> LoadBalancerGraph:
    """The seed's second step: the monitor becomes HTTP GET /api expecting 200."""
    pool = f.pool(algorithm=LbAlgorithm.SOURCE_IP)
    f.listener(ListenerProtocol.HTTP, 80, pool)
    f.member(pool, "198.18.0.8", 80, weight=1)
    f.member(pool, "198.18.0.9", 80, weight=2)
    f.monitor(pool, MonitorType.HTTP, url_path="/api", expected_codes="200")
    f.sg_rule("tcp", 80, 80, "0.0.0.0/0")
    return f.graph()


def round_robin_http_cookie(f: GraphFactory) -> LoadBalancerGraph:
    pool = f.pool(algorithm=LbAlgorithm.ROUND_ROBIN, persistence=PersistenceType.HTTP_COOKIE)
    f.listener(ListenerProtocol.HTTP, 8080, pool, connection_limit=5000)
    for last, weight in ((21, 1), (22, 3), (23, 10)):
        f.member(pool, f"198.18.1.{last}", 8000, weight=weight)
    f.monitor(
        pool,
        MonitorType.HTTP,
        url_path="/healthz",
        expected_codes="200,202",
        http_version=1.1,
        domain_name="app.example.com",
        delay=2,
        timeout=1,
    )
    return f.graph()


def least_connections_app_cookie(f: GraphFactory) -> LoadBalancerGraph:
    pool = f.pool(
        algorithm=LbAlgorithm.LEAST_CONNECTIONS,
        persistence=PersistenceType.APP_COOKIE,
        cookie_name="JSESSIONID",
    )
    f.listener(ListenerProtocol.HTTP, 80, pool)
    f.member(pool, "198.18.1.31", 8080)
    f.member(pool, "198.18.1.32", 8080)
    f.monitor(
        pool,
        MonitorType.HTTP,
        http_method=HttpMethod.HEAD,
        url_path="/status",
        expected_codes="200-204",
        http_version=1.0,
        max_retries=2,
        max_retries_down=4,
    )
    return f.graph()


def source_ip_persistence(f: GraphFactory) -> LoadBalancerGraph:
    pool = f.pool(algorithm=LbAlgorithm.ROUND_ROBIN, persistence=PersistenceType.SOURCE_IP)
    f.listener(ListenerProtocol.HTTP, 80, pool)
    f.member(pool, "198.18.1.41", 80)
    f.member(pool, "198.18.1.42", 80)
    return f.graph()


def tcp_listener(f: GraphFactory) -> LoadBalancerGraph:
    pool = f.pool(
        PoolProtocol.TCP, LbAlgorithm.LEAST_CONNECTIONS, persistence=PersistenceType.SOURCE_IP
    )
    f.listener(
        ListenerProtocol.TCP,
        3306,
        pool,
        connection_limit=300,
        timeout_client_data=3600000,
        timeout_member_connect=2000,
        timeout_member_data=3600000,
        timeout_tcp_inspect=1000,
    )
    f.member(pool, "198.18.1.51", 3306, monitor_address="198.18.1.151", monitor_port=9200)
    f.member(pool, "198.18.1.52", 3306, monitor_port=9200)
    f.monitor(pool, MonitorType.TCP, delay=3, timeout=2)
    f.sg_rule("tcp", 3306, 3306, "198.18.0.0/16")
    return f.graph()


def https_passthrough(f: GraphFactory) -> LoadBalancerGraph:
    pool = f.pool(PoolProtocol.HTTPS, LbAlgorithm.ROUND_ROBIN)
    f.listener(ListenerProtocol.HTTPS, 443, pool)
    f.member(pool, "198.18.1.61", 443)
    f.member(pool, "198.18.1.62", 443)
    f.monitor(pool, MonitorType.TLS_HELLO)
    f.sg_rule("tcp", 443, 443)
    return f.graph()


def tls_pools(f: GraphFactory) -> LoadBalancerGraph:
    """Re-encryption to members, and an HTTPS monitor on a plain pool."""
    tls = f.pool(PoolProtocol.TCP, tls_enabled=True)
    f.listener(ListenerProtocol.HTTPS, 443, tls)
    f.member(tls, "198.18.1.71", 8443)
    f.monitor(tls, MonitorType.HTTPS, url_path="/health")
    plain = f.pool(PoolProtocol.HTTP)
    f.listener(ListenerProtocol.HTTP, 80, plain)
    f.member(plain, "198.18.1.72", 80)
    f.monitor(plain, MonitorType.HTTPS, url_path="/health")
    return f.graph()


def l7_everything(f: GraphFactory) -> LoadBalancerGraph:
    """Every L7 action, rule type, compare type and invert; some policies that cannot act."""
    default = f.pool()
    images = f.pool()
    parked = f.pool(admin_state_up=False)
    listener = f.listener(ListenerProtocol.HTTP, 80, default)
    for pool, last in ((default, 81), (images, 82), (parked, 83)):
        f.member(pool, f"198.18.1.{last}", 80)
    t, c = L7RuleType, CompareType
    reject = f.policy(listener, L7Action.REJECT, 1)
    f.rule(reject, t.HOST_NAME, c.EQUAL_TO, "bad.example.com")
    to_url = f.policy(
        listener,
        L7Action.REDIRECT_TO_URL,
        2,
        redirect_url="https://www.example.com/new",
        redirect_http_code=301,
    )
    f.rule(to_url, t.PATH, c.STARTS_WITH, "/old")
    f.rule(to_url, t.HEADER, c.CONTAINS, "staging", key="X-Env", invert=True)
    to_pool = f.policy(listener, L7Action.REDIRECT_TO_POOL, 3, redirect_pool_id=images.id)
    f.rule(to_pool, t.FILE_TYPE, c.EQUAL_TO, "jpg")
    prefix = f.policy(
        listener, L7Action.REDIRECT_PREFIX, 4, redirect_prefix="https://beta.example.com"
    )
    f.rule(prefix, t.COOKIE, c.EQUAL_TO, "1", key="beta")
    api = f.policy(listener, L7Action.REDIRECT_TO_POOL, 5, redirect_pool_id=images.id)
    f.rule(api, t.PATH, c.REGEX, r"^/api/v[0-9]+/")
    f.rule(api, t.FILE_TYPE, c.REGEX, r"\.(png|gif)$")
    tls = f.policy(listener, L7Action.REJECT, 6)
    f.rule(tls, t.HEADER, c.ENDS_WITH, "bot", key="User-Agent")
    f.rule(tls, t.SSL_CONN_HAS_CERT, c.EQUAL_TO, "True", invert=True)
    f.rule(tls, t.SSL_VERIFY_RESULT, c.EQUAL_TO, "0")
    f.rule(tls, t.SSL_DN_FIELD, c.CONTAINS, "client", key="CN")
    to_parked = f.policy(listener, L7Action.REDIRECT_TO_POOL, 7, redirect_pool_id=parked.id)
    f.rule(to_parked, t.PATH, c.EQUAL_TO, "/parked")
    off = f.policy(listener, L7Action.REJECT, 8, admin_state_up=False)
    f.rule(off, t.PATH, c.EQUAL_TO, "/off")
    idle = f.policy(listener, L7Action.REJECT, 9)
    f.rule(idle, t.PATH, c.EQUAL_TO, "/idle", admin_state_up=False)
    admin = f.policy(listener, L7Action.REJECT, 10)
    f.rule(admin, t.HOST_NAME, c.ENDS_WITH, ".example.org")
    f.rule(admin, t.HOST_NAME, c.REGEX, r"^(www|admin)\.")
    f.rule(admin, t.PATH, c.CONTAINS, "admin", invert=True)
    f.policy(listener, L7Action.REJECT, 11)  # no rules at all
    return f.graph()


def insert_headers(f: GraphFactory) -> LoadBalancerGraph:
    every = f.pool()
    f.listener(
        ListenerProtocol.HTTP,
        80,
        every,
        insert_headers={
            "X-Forwarded-For": "true",
            "X-Forwarded-Port": "True",
            "X-Forwarded-Proto": "TRUE",
            "X-Forwarded-IP": "true",
            "X-Client-IP": "true",
            "X-Real-IP": "true",
        },
    )
    f.member(every, "198.18.1.91", 80)
    none = f.pool()
    f.listener(
        ListenerProtocol.HTTP,
        81,
        none,
        insert_headers={
            "X-Forwarded-For": "false",
            "X-Real-IP": "yes",
        },
    )
    f.member(none, "198.18.1.92", 80)
    return f.graph()


def admin_down(f: GraphFactory) -> LoadBalancerGraph:
    parked = f.pool(admin_state_up=False)
    f.listener(ListenerProtocol.HTTP, 80, parked)
    f.member(parked, "198.18.1.101", 80)
    serving = f.pool()
    f.listener(ListenerProtocol.HTTP, 81, serving)
    f.member(serving, "198.18.1.102", 80)
    f.member(serving, "198.18.1.103", 80, admin_state_up=False)
    f.monitor(serving, MonitorType.TCP)
    hidden = f.pool()
    f.listener(ListenerProtocol.HTTP, 82, hidden, admin_state_up=False)
    f.member(hidden, "198.18.1.104", 80)
    monitored_off = f.pool(PoolProtocol.TCP)
    f.listener(ListenerProtocol.TCP, 83, monitored_off)
    f.member(monitored_off, "198.18.1.105", 80)
    f.monitor(monitored_off, MonitorType.PING, admin_state_up=False)
    return f.graph()


def lb_admin_down(f: GraphFactory) -> LoadBalancerGraph:
    seed_pool(f)
    return f.graph(admin_state_up=False)


def backup_member(f: GraphFactory) -> LoadBalancerGraph:
    pool = f.pool()
    f.listener(ListenerProtocol.HTTP, 80, pool)
    f.member(pool, "198.18.1.111", 80, weight=5)
    f.member(pool, "198.18.1.112", 80, weight=0)  # drained
    f.member(pool, "198.18.1.113", 80, backup=True)
    f.monitor(pool, MonitorType.HTTP)
    return f.graph()


def proxy_pools(f: GraphFactory) -> LoadBalancerGraph:
    proxy = f.pool(PoolProtocol.PROXY)
    f.listener(ListenerProtocol.HTTP, 80, proxy)
    f.member(proxy, "198.18.1.121", 8080)
    f.monitor(proxy, MonitorType.HTTP)
    proxy2 = f.pool(PoolProtocol.PROXYV2, LbAlgorithm.SOURCE_IP)
    f.listener(ListenerProtocol.TCP, 25, proxy2)
    f.member(proxy2, "198.18.1.122", 2525)
    return f.graph()


def shared_pool(f: GraphFactory) -> LoadBalancerGraph:
    """One PROXY pool behind an HTTP and a TCP listener: two backends, two modes."""
    pool = f.pool(PoolProtocol.PROXY)
    f.listener(ListenerProtocol.HTTP, 80, pool)
    f.listener(ListenerProtocol.TCP, 8443, pool)
    f.member(pool, "198.18.1.131", 80)
    return f.graph()


def single_topology(f: GraphFactory) -> LoadBalancerGraph:
    pool = f.pool(persistence=PersistenceType.SOURCE_IP)
    f.listener(ListenerProtocol.HTTP, 80, pool)
    f.member(pool, "198.18.1.141", 80)
    f.sg_rule("tcp", 80, 80)
    return f.graph(topology=Topology.SINGLE, vrrp_ips=("198.18.0.10",))


def ipv6(f: GraphFactory) -> LoadBalancerGraph:
    f.vip, f.cidr = "2001:db8::3", "2001:db8::/64"
    pool = f.pool(persistence=PersistenceType.SOURCE_IP)
    f.listener(ListenerProtocol.HTTP, 80, pool)
    f.member(pool, "2001:db8:1::21", 80, monitor_address="2001:db8:1::121")
    f.member(pool, "2001:db8:1::22", 80)
    f.monitor(pool, MonitorType.HTTP)
    f.sg_rule("tcp", 80, 80, "::/0", ethertype="IPv6")
    f.sg_rule("icmp", 128, None, "2001:db8::/32", ethertype="IPv6")
    return f.graph(vrrp_ips=("2001:db8::10", "2001:db8::11"))


def prometheus(f: GraphFactory) -> LoadBalancerGraph:
    f.listener(ListenerProtocol.PROMETHEUS, 9100, connection_limit=100)
    pool = f.pool()
    f.listener(ListenerProtocol.HTTP, 80, pool)
    f.member(pool, "198.18.1.151", 80)
    return f.graph()


def security_groups(f: GraphFactory) -> LoadBalancerGraph:
    seed_pool(f)
    f.sg_rule("tcp", 22, 22, "198.18.0.0/15")
    f.sg_rule("icmp", 8, 0, "10.0.0.0/8")
    f.sg_rule("icmp", None, None)
    f.sg_rule("udp", 5000, 5100)
    f.sg_rule("17", 53, 53)
    f.sg_rule(None, None, None, "192.0.2.0/24")
    f.sg_rule("ipv6-icmp", None, None, ethertype="IPv6")
    f.sg_rule("icmp", 135, None, "fe80::/10", ethertype="IPv6")
    f.sg_rule("gre")
    f.sg_rule("tcp", 8080, 8080, remote_group_id="a-remote-group")
    f.sg_rule("tcp", 1, 65535, direction="egress")
    return f.graph()


# User strings that try to add lines, directives or arguments to haproxy.cfg.
NASTY = {
    "host": "a b\"c\\d#e${HOME}f%[src]g'h -f i",
    "path": "-f",
    "header": '" || TRUE # deny',
    "cookie": '}{ \\\\ \\" $HOME',
    "regex": r'^/x\d+$ "quoted" #comment',
    "url": 'http://example.com/a b"c\\d#e${HOME}%[src]',
    "prefix": 'https://x.example/ " if TRUE',
    "url_path": '/health check"#x${PATH}',
    "domain": 'ex%[env(HOME)]ample"com',
}
PLAIN = {key: f"plain-{key}" for key in NASTY}
HEADER_KEY = "X-Odd!%&*+.^_|~"


def injection_graph(values: dict[str, str], member: str = "198.18.1.201") -> LoadBalancerGraph:
    f = GraphFactory()
    pool = f.pool()
    listener = f.listener(ListenerProtocol.HTTP, 80, pool)
    f.member(pool, member, 80)
    f.monitor(
        pool,
        MonitorType.HTTP,
        url_path=values["url_path"],
        domain_name=values["domain"],
        http_version=1.1,
    )
    t, c = L7RuleType, CompareType
    reject = f.policy(listener, L7Action.REJECT, 1)
    f.rule(reject, t.HOST_NAME, c.EQUAL_TO, values["host"])
    f.rule(reject, t.PATH, c.STARTS_WITH, values["path"])
    to_url = f.policy(listener, L7Action.REDIRECT_TO_URL, 2, redirect_url=values["url"])
    f.rule(to_url, t.HEADER, c.CONTAINS, values["header"], key=HEADER_KEY)
    prefix = f.policy(listener, L7Action.REDIRECT_PREFIX, 3, redirect_prefix=values["prefix"])
    f.rule(prefix, t.COOKIE, c.ENDS_WITH, values["cookie"], key="sess~1")
    f.rule(prefix, t.PATH, c.REGEX, values["regex"], invert=True)
    return f.graph()


SCENARIOS: dict[str, Scenario] = {
    "seed": seed,
    "seed_http_monitor": seed_http_monitor,
    "round_robin_http_cookie": round_robin_http_cookie,
    "least_connections_app_cookie": least_connections_app_cookie,
    "source_ip_persistence": source_ip_persistence,
    "tcp_listener": tcp_listener,
    "https_passthrough": https_passthrough,
    "tls_pools": tls_pools,
    "l7_everything": l7_everything,
    "insert_headers": insert_headers,
    "admin_down": admin_down,
    "lb_admin_down": lb_admin_down,
    "backup_member": backup_member,
    "proxy_pools": proxy_pools,
    "shared_pool": shared_pool,
    "single_topology": single_topology,
    "ipv6": ipv6,
    "prometheus": prometheus,
    "security_groups": security_groups,
}
