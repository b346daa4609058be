"""``make demo``: the seed document's walk-through, for real, one step at a time.

Starts ``livia serve`` (if it is not running yet) on its embedded defaults,
then drives it with the real ``openstack`` CLI the way a user would: a
tenant network with two web servers, an ACTIVE_STANDBY load balancer with an
HTTP listener, a SOURCE_IP pool, members with weights 1 and 2, a PING then an
HTTP monitor, an L7 redirect, a floating IP — and shows traffic through the
VIP from a client instance, persistence, the redirect, a backend going away,
and the MASTER amphora dying while the BACKUP takes the VIP. The service is
left running; the last lines say how to use the CLI against it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from livia.cli import state
from livia.cli.identity import write_clouds_yaml
from livia.domain.settings import Settings

BIN = Path(sys.executable).parent
OPENSTACK = str(BIN / "openstack")
LIVIA = str(BIN / "livia")
SETTINGS = Settings()
ENDPOINT = f"http://{SETTINGS.api_host}:{SETTINGS.api_port}"
LOG = SETTINGS.state_dir / "serve.log"

NET, SUBNET, CIDR = "demo-net", "demo-subnet", "192.168.0.0/24"
EXT_NET, EXT_SUBNET, EXT_CIDR = "demo-ext", "demo-ext-subnet", "203.0.113.0/24"
WEB = {"web1": "192.168.0.8", "web2": "192.168.0.9"}
BOLD, DIM, GREEN, RED, END = "\033[1m", "\033[2m", "\033[32m", "\033[31m", "\033[0m"


class DemoError(Exception):
    pass


def say(text: str) -> None:
    print(f"\n{BOLD}{text}{END}", flush=True)


def note(text: str) -> None:
    print(f"   {DIM}{text}{END}", flush=True)


def good(text: str) -> None:
    print(f"   {GREEN}✔ {text}{END}", flush=True)


def run(args: list[str], *, show: bool = True, check: bool = True,
        env: dict[str, str] | None = None) -> str:
    if show:
        shown = " ".join(a if " " not in a else f"'{a}'" for a in args)
        print(f"   $ {shown.replace(str(BIN) + '/', '')}", flush=True)
    done = subprocess.run(args, capture_output=True, text=True, env=env or os.environ.copy(),
                          timeout=300, check=False)
    if check and done.returncode != 0:
        raise DemoError(f"{' '.join(args[:4])} … failed:\n{done.stderr or done.stdout}")
    return done.stdout


def os_cli(*args: str, show: bool = True, check: bool = True) -> Any:
    """The real openstack CLI; JSON output parsed when asked with -f json."""
    out = run([OPENSTACK, *args], show=show, check=check, env=cli_env())
    return json.loads(out) if "-f" in args and "json" in args and out.strip() else out


def cli_env() -> dict[str, str]:
    token = state.read_admin_token(SETTINGS) or ""
    return {**os.environ, "OS_AUTH_TYPE": "admin_token", "OS_TOKEN": token,
            "OS_ENDPOINT": ENDPOINT}


def livia(*args: str, show: bool = True, check: bool = True) -> str:
    return run([LIVIA, *args], show=show, check=check, env=cli_env())


def in_instance(name: str, *command: str, check: bool = False) -> str:
    return livia("instance", "exec", name, "--", *command, show=False, check=check)


# -- the service -----------------------------------------------------------------------------

def server_up() -> bool:
    try:
        return httpx.get(ENDPOINT + "/", timeout=1.0).status_code == 200
    except httpx.HTTPError:
        return False


def start_server() -> None:
    say("Step 0. Start Livia (API, controller and health manager in one process)")
    if server_up():
        good(f"livia serve is already running on {ENDPOINT}")
        return
    SETTINGS.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    print(f"   $ livia serve &      {DIM}(log: {LOG}){END}", flush=True)
    with open(LOG, "ab") as log:
        subprocess.Popen([LIVIA, "serve"], stdout=log, stderr=subprocess.STDOUT,
                         stdin=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not server_up():
        time.sleep(0.2)
    if not server_up():
        raise DemoError(f"livia serve did not come up; see {LOG}")
    good(f"serving on {ENDPOINT}; admin token in {SETTINGS.state_dir / 'admin-token'}")


def clean_previous_run() -> None:
    """Remove what an earlier `make demo` left, so every run starts from the same place."""
    lbs = os_cli("loadbalancer", "list", "--name", "demo-lb", "-f", "json", show=False)
    for lb in lbs:
        os_cli("loadbalancer", "delete", "--cascade", "--wait", lb["id"], show=False)
    for fip in os_cli("floating", "ip", "list", "-f", "json", show=False):
        os_cli("floating", "ip", "delete", fip["ID"], show=False)
    for name in ("web1", "web2", "client", "client2", "outside"):
        livia("instance", "delete", name, show=False, check=False)
    for net in (NET, EXT_NET):
        os_cli("network", "delete", net, show=False, check=False)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        names = {n["Name"] for n in os_cli("network", "list", "-f", "json", show=False)}
        if not names & {NET, EXT_NET}:
            return
        time.sleep(0.2)


# -- the walk-through ------------------------------------------------------------------------

def step_network() -> str:
    say("Step 1. A tenant network; the user's cloud hosts live on it")
    os_cli("network", "create", NET, "-f", "value", "-c", "id")
    subnet = os_cli("subnet", "create", "--network", NET, "--subnet-range", CIDR, SUBNET,
                    "-f", "json")
    good(f"{NET} with {SUBNET} {subnet['cidr']} (gateway {subnet['gateway_ip']})")
    for name, ip in WEB.items():
        livia("instance", "create", "--network", NET, "--ip", ip, "--name", name, "--",
              LIVIA, "httpd", "--name", name)
    livia("instance", "create", "--network", NET, "--name", "client", "--", "sleep",
          "infinity")
    livia("instance", "create", "--network", NET, "--name", "client2", "--", "sleep",
          "infinity")
    good("web1 and web2 answer HTTP with their own name; client and client2 will send "
         "requests")
    return str(subnet["id"])


def step_loadbalancer(subnet_id: str) -> dict[str, Any]:
    say("Step 2. The load balancer's VIP goes on the chosen subnet (ACTIVE_STANDBY)")
    started = time.monotonic()
    lb = os_cli("loadbalancer", "create", "--name", "demo-lb", "--vip-subnet-id", subnet_id,
                "--wait", "-f", "json")
    good(f"demo-lb is {lb['provisioning_status']} with VIP {lb['vip_address']} "
         f"({time.monotonic() - started:.1f} s including the CLI's 3 s polling)")
    amps = os_cli("loadbalancer", "amphora", "list", "--loadbalancer", lb["id"], "-f", "json")
    for amp in sorted(amps, key=lambda a: a["role"]):
        note(f"amphora {amp['id'][:8]}  {amp['role']:<6}  lb-mgmt-net {amp['lb_network_ip']}")
    good("a MASTER and a BACKUP amphora: HAProxy + keepalived each, the VIP moves by VRRP")
    return dict(lb)


def step_listener_pool_members() -> None:
    say("Step 3. A listener accepts HTTP on port 80")
    os_cli("loadbalancer", "listener", "create", "--name", "demo-http", "--protocol", "HTTP",
           "--protocol-port", "80", "--wait", "demo-lb", "-f", "value", "-c", "id")
    good("listener on :80; security group lb-<id> now allows TCP 80")
    say("Step 4. The listener's pool balances with SOURCE_IP")
    os_cli("loadbalancer", "pool", "create", "--name", "demo-pool", "--lb-algorithm",
           "SOURCE_IP", "--listener", "demo-http", "--protocol", "HTTP", "--wait",
           "-f", "value", "-c", "id")
    good("one client keeps reaching one member")
    say("Step 5. Members bind the instances' addresses to the pool (weights 1 and 2)")
    for (name, ip), weight in zip(WEB.items(), ("1", "2"), strict=True):
        os_cli("loadbalancer", "member", "create", "--name", name, "--address", ip,
               "--protocol-port", "80", "--weight", weight, "--wait", "demo-pool",
               "-f", "value", "-c", "id")
    good("each member is a `server` line in haproxy.cfg")


def step_monitors() -> None:
    say("Step 6. A health monitor checks the members: PING, then HTTP GET /api expecting 200")
    os_cli("loadbalancer", "healthmonitor", "create", "--name", "demo-ping", "--type", "PING",
           "--delay", "2", "--timeout", "1", "--max-retries", "2", "--wait", "demo-pool",
           "-f", "value", "-c", "id")
    wait_members("ONLINE")
    good("both members ONLINE by PING")
    os_cli("loadbalancer", "healthmonitor", "delete", "--wait", "demo-ping")
    os_cli("loadbalancer", "healthmonitor", "create", "--name", "demo-http-check", "--type",
           "HTTP", "--http-method", "GET", "--url-path", "/api", "--expected-codes", "200",
           "--delay", "1", "--timeout", "1", "--max-retries", "1", "--max-retries-down", "2",
           "--wait", "demo-pool", "-f", "value", "-c", "id")
    wait_members("ONLINE")
    good("both members ONLINE by HTTP GET /api → 200")


def step_l7() -> None:
    say("Step 7. An L7 policy: requests for /old/... are redirected (an ACL in the frontend)")
    os_cli("loadbalancer", "l7policy", "create", "--name", "demo-redirect", "--action",
           "REDIRECT_TO_URL", "--redirect-url", "http://www.example.com/new", "--wait",
           "demo-http", "-f", "value", "-c", "id")
    os_cli("loadbalancer", "l7rule", "create", "--type", "PATH", "--compare-type", "REGEX",
           "--value", "^/old", "--wait", "demo-redirect", "-f", "value", "-c", "id")
    good("rule PATH REGEX ^/old → 302 to http://www.example.com/new")


def members_status() -> dict[str, str]:
    tree = os_cli("loadbalancer", "status", "show", "demo-lb", show=False)
    found: dict[str, str] = {}
    for listener in json.loads(tree)["loadbalancer"]["listeners"]:
        for pool in listener["pools"]:
            for m in pool["members"]:
                found[m["address"]] = m["operating_status"]
    return found


def wait_members(expected: str, address: str | None = None, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    statuses: dict[str, str] = {}
    while time.monotonic() < deadline:
        statuses = members_status()
        wanted = [statuses.get(address, "")] if address else list(statuses.values())
        if wanted and all(s == expected for s in wanted):
            note(f"status tree: {statuses}")
            return
        time.sleep(0.5)
    raise DemoError(f"members did not become {expected}: {statuses}")


CURL_LOOP = "for i in $(seq 1 {n}); do curl -s -m 2 {url}; done | sort | uniq -c"


def requests_from(client: str, url: str, n: int = 12) -> dict[str, int]:
    out = in_instance(client, "sh", "-c", CURL_LOOP.format(n=n, url=url))
    counts: dict[str, int] = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2:
            counts[parts[1]] = int(parts[0])
    return counts


def step_traffic(vip: str) -> str:
    say(f"Step 8. Traffic through the VIP {vip} from the client instances")
    first = requests_from("client", f"http://{vip}/")
    print(f"   client  → {first}")
    second = requests_from("client2", f"http://{vip}/")
    print(f"   client2 → {second}")
    if len(first) != 1 or len(second) != 1:
        raise DemoError("SOURCE_IP should keep each client on one member")
    good("each client sticks to one member (SOURCE_IP)")
    headers = in_instance("client", "curl", "-s", "-o", "/dev/null", "-D", "-",
                          f"http://{vip}/old/page")
    location = next((h for h in headers.splitlines() if h.lower().startswith("location")), "")
    status = headers.splitlines()[0] if headers else "(no answer)"
    print(f"   GET /old/page → {status.strip()}  {location.strip()}")
    if "302" not in status:
        raise DemoError("the L7 redirect did not answer 302")
    good("the L7 redirect answers 302 with its Location")
    return next(iter(first))


def step_backend_down(vip: str, sticky: str) -> None:
    say(f"Step 9. The member the client sticks to ({sticky}) stops; HAProxy skips it")
    livia("instance", "delete", sticky)
    wait_members("ERROR", WEB[sticky])
    after = requests_from("client", f"http://{vip}/")
    print(f"   client → {after}")
    if sticky in after:
        raise DemoError(f"{sticky} still received requests")
    good("the stopped member is out of rotation; the pool is DEGRADED")
    livia("instance", "create", "--network", NET, "--ip", WEB[sticky], "--name", sticky,
          "--", LIVIA, "httpd", "--name", sticky)
    wait_members("ONLINE", WEB[sticky])
    good(f"{sticky} is back and ONLINE")


def step_failover(lb: dict[str, Any]) -> None:
    say("Step 10. The MASTER amphora dies; the BACKUP takes the VIP (VRRP)")
    amps = os_cli("loadbalancer", "amphora", "list", "--loadbalancer", lb["id"], "-f", "json",
                  show=False)
    master = next(a for a in amps if a["role"] == "MASTER")
    vip = lb["vip_address"]
    loop = ("import time,urllib.request\n"
            "t0=time.time();ok=fail=0;gap=[]\n"
            "while time.time()-t0<8:\n"
            "  t=time.time()\n"
            "  try:\n"
            f"    urllib.request.urlopen('http://{vip}/',timeout=1).read();ok+=1\n"
            "  except Exception: fail+=1;gap.append(t-t0)\n"
            "  time.sleep(0.01)\n"
            "print(ok,fail,round(gap[-1]-gap[0],2) if gap else 0)\n")
    client = subprocess.Popen([LIVIA, "instance", "exec", "client", "--", sys.executable,
                               "-c", loop], stdout=subprocess.PIPE, text=True, env=cli_env())
    time.sleep(1.5)
    prefix = SETTINGS.name_prefix
    for side in ("mgmt", "data"):
        ns = f"{prefix}-amp-{master['id']}-{side}"
        pids = run(["ip", "netns", "pids", ns], show=False, check=False).split()
        if side == "data":
            print(f"   $ kill -9 $(ip netns pids {ns})   {DIM}# and its management side{END}")
        for pid in pids:
            run(["kill", "-9", pid], show=False, check=False)
    out, _ = client.communicate(timeout=60)
    ok, failed, gap = out.split()
    print(f"   requests during the failover: {ok} answered, {failed} failed "
          f"(traffic gap {gap} s)")
    good("the BACKUP holds the VIP and serves")
    note("the health manager notices the silent amphora and builds a replacement …")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        amps = os_cli("loadbalancer", "amphora", "list", "--loadbalancer", lb["id"],
                      "-f", "json", show=False)
        ids = {a["id"] for a in amps if a["status"] == "ALLOCATED"}
        state_now = os_cli("loadbalancer", "show", "demo-lb", "-f", "json", show=False)
        if len(ids) == 2 and master["id"] not in ids and (
                state_now["provisioning_status"] == "ACTIVE"):
            good("demo-lb is ACTIVE again with a new amphora in place of the dead one")
            return
        time.sleep(0.5)
    raise DemoError("no replacement amphora within 60 s")


def step_floating_ip(lb: dict[str, Any]) -> None:
    say("Step 11. A floating IP exposes the VIP on an external network")
    os_cli("network", "create", "--external", EXT_NET, "-f", "value", "-c", "id")
    os_cli("subnet", "create", "--network", EXT_NET, "--subnet-range", EXT_CIDR, EXT_SUBNET,
           "-f", "value", "-c", "id")
    fip = os_cli("floating", "ip", "create", "--port", lb["vip_port_id"], EXT_NET,
                 "-f", "json")
    address = fip["floating_ip_address"]
    livia("instance", "create", "--network", EXT_NET, "--name", "outside", "--", "sleep",
          "infinity")
    deadline = time.monotonic() + 20
    answers: dict[str, int] = {}
    while time.monotonic() < deadline and not answers:
        answers = requests_from("outside", f"http://{address}/", n=4)
        time.sleep(0.3)
    print(f"   outside → http://{address}/ → {answers}")
    if not answers:
        raise DemoError("the floating IP did not answer")
    good(f"{address} on {EXT_NET} reaches the VIP {lb['vip_address']}")


def finish() -> None:
    clouds = write_clouds_yaml(SETTINGS, ENDPOINT)
    say("Done. Livia keeps running; use it with the openstack CLI (Keystone auth, the "
        "endpoints from the catalog):")
    print(f"""
   export OS_CLIENT_CONFIG_FILE={clouds}
   {OPENSTACK} --os-cloud livia loadbalancer list
   {OPENSTACK} --os-cloud livia catalog list

   or with the admin token and one endpoint:

   export OS_AUTH_TYPE=admin_token
   export OS_ENDPOINT={ENDPOINT}
   export OS_TOKEN=$(cat {SETTINGS.state_dir / 'admin-token'})
   {OPENSTACK} loadbalancer list
   {OPENSTACK} loadbalancer status show demo-lb
   {LIVIA} instance exec client -- curl -s http://<VIP>/

   Stop the service with `{LIVIA} stop` (the amphorae keep serving);
   remove everything with `{LIVIA} cleanup`.
""", flush=True)


def main() -> int:
    if os.geteuid() != 0:
        print("make demo needs root: namespaces, bridges and nftables", file=sys.stderr)
        return 2
    if shutil.which("curl") is None:
        print("curl is missing; run `make deps`", file=sys.stderr)
        return 2
    try:
        start_server()
        clean_previous_run()
        subnet_id = step_network()
        lb = step_loadbalancer(subnet_id)
        step_listener_pool_members()
        step_monitors()
        step_l7()
        sticky = step_traffic(lb["vip_address"])
        step_backend_down(lb["vip_address"], sticky)
        step_failover(lb)
        step_floating_ip(lb)
        finish()
    except DemoError as exc:
        print(f"\n{RED}demo failed: {exc}{END}\nserver log: {LOG}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
