"""Desired state -> configuration text, as pure functions.

- :func:`livia.render.haproxy.render_haproxy` (haproxy.cfg, one per load balancer)
- :func:`livia.render.keepalived.render_keepalived` (ACTIVE_STANDBY only)
- :func:`livia.render.firewall.render_firewall` (the nftables ruleset)
"""
