"""The schema: one SQLAlchemy Core table per resource.

Column names are the API's field names (``admin_state_up``, not ``enabled``),
so rows map onto the domain dataclasses without renaming. Alembic migrations
under ``migrations/`` build exactly this schema (a test compares them).
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    false,
)

from livia.domain.quotas import Resource

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def _id() -> Column[str]:
    return Column("id", String(36), primary_key=True)


def _project() -> Column[str]:
    return Column("project_id", String(255), nullable=True, index=True)


def _named() -> list[Column[object]]:
    return [
        Column("name", String(255), nullable=True),
        Column("description", String(255), nullable=True),
    ]


def _statuses() -> list[Column[object]]:
    return [
        Column("provisioning_status", String(16), nullable=False, index=True),
        Column("operating_status", String(16), nullable=False),
    ]


def _times() -> list[Column[object]]:
    return [
        Column("created_at", DateTime, nullable=False),
        Column("updated_at", DateTime, nullable=True),
    ]


loadbalancers = Table(
    "loadbalancers",
    metadata,
    _id(),
    _project(),
    *_named(),
    Column("admin_state_up", Boolean, nullable=False),
    *_statuses(),
    Column("vip_address", String(64), nullable=True),
    Column("vip_port_id", String(36), nullable=True),
    Column("vip_subnet_id", String(36), nullable=True),
    Column("vip_network_id", String(36), nullable=True),
    Column("vip_qos_policy_id", String(36), nullable=True),
    Column("provider", String(64), nullable=False),
    Column("flavor_id", String(36), nullable=True),
    Column("availability_zone", String(255), nullable=True),
    Column("topology", String(16), nullable=False),
    # The flavor's data-plane keys at create (domain.flavors.FlavorOptions).
    Column("flavor_options", JSON, nullable=True),
    Column("vrrp_id", Integer, nullable=True),
    Column("security_group_id", String(36), nullable=True),
    # Control columns: who is converging this load balancer, until when, and
    # which security-group revision its amphorae enforce.
    Column("lease_owner", String(64), nullable=True),
    Column("lease_expires", DateTime, nullable=True),
    Column("sg_revision_applied", Integer, nullable=False, default=0),
    Column("last_error", String(1024), nullable=True),
    *_times(),
)

listeners = Table(
    "listeners",
    metadata,
    _id(),
    _project(),
    Column("loadbalancer_id", String(36), ForeignKey("loadbalancers.id"), nullable=False,
           index=True),
    *_named(),
    Column("admin_state_up", Boolean, nullable=False),
    Column("protocol", String(32), nullable=False),
    Column("protocol_port", Integer, nullable=False),
    Column("connection_limit", Integer, nullable=False),
    Column("default_pool_id", String(36), nullable=True),
    Column("timeout_client_data", Integer, nullable=False),
    Column("timeout_member_connect", Integer, nullable=False),
    Column("timeout_member_data", Integer, nullable=False),
    Column("timeout_tcp_inspect", Integer, nullable=False),
    Column("insert_headers", JSON, nullable=False),
    Column("allowed_cidrs", JSON, nullable=False),
    Column("default_tls_container_ref", String(255), nullable=True),
    Column("sni_container_refs", JSON, nullable=False),
    Column("client_authentication", String(16), nullable=False),
    Column("client_ca_tls_container_ref", String(255), nullable=True),
    Column("client_crl_container_ref", String(255), nullable=True),
    Column("tls_ciphers", String(2048), nullable=True),
    Column("tls_versions", JSON, nullable=False),
    Column("alpn_protocols", JSON, nullable=False),
    Column("hsts_max_age", Integer, nullable=True),
    Column("hsts_include_subdomains", Boolean, nullable=False),
    Column("hsts_preload", Boolean, nullable=False),
    *_statuses(),
    *_times(),
)

pools = Table(
    "pools",
    metadata,
    _id(),
    _project(),
    Column("loadbalancer_id", String(36), ForeignKey("loadbalancers.id"), nullable=False,
           index=True),
    *_named(),
    Column("admin_state_up", Boolean, nullable=False),
    Column("protocol", String(32), nullable=False),
    Column("lb_algorithm", String(32), nullable=False),
    Column("session_persistence", JSON, nullable=True),
    Column("tls_enabled", Boolean, nullable=False),
    Column("tls_container_ref", String(255), nullable=True),
    Column("ca_tls_container_ref", String(255), nullable=True),
    Column("crl_container_ref", String(255), nullable=True),
    Column("tls_ciphers", String(2048), nullable=True),
    Column("tls_versions", JSON, nullable=False),
    Column("alpn_protocols", JSON, nullable=False),
    *_statuses(),
    *_times(),
)

members = Table(
    "members",
    metadata,
    _id(),
    _project(),
    Column("pool_id", String(36), ForeignKey("pools.id"), nullable=False, index=True),
    Column("name", String(255), nullable=True),
    Column("admin_state_up", Boolean, nullable=False),
    Column("address", String(64), nullable=False),
    Column("protocol_port", Integer, nullable=False),
    Column("weight", Integer, nullable=False),
    Column("backup", Boolean, nullable=False),
    Column("subnet_id", String(36), nullable=True),
    Column("monitor_address", String(64), nullable=True),
    Column("monitor_port", Integer, nullable=True),
    *_statuses(),
    *_times(),
    UniqueConstraint("pool_id", "address", "protocol_port", name="uq_members_pool_address_port"),
)

healthmonitors = Table(
    "healthmonitors",
    metadata,
    _id(),
    _project(),
    Column("pool_id", String(36), ForeignKey("pools.id"), nullable=False, unique=True),
    Column("name", String(255), nullable=True),
    Column("admin_state_up", Boolean, nullable=False),
    Column("type", String(32), nullable=False),
    Column("delay", Integer, nullable=False),
    Column("timeout", Integer, nullable=False),
    Column("max_retries", Integer, nullable=False),
    Column("max_retries_down", Integer, nullable=False),
    Column("http_method", String(16), nullable=True),
    Column("url_path", String(2048), nullable=True),
    Column("expected_codes", String(64), nullable=True),
    Column("http_version", Float, nullable=True),
    Column("domain_name", String(255), nullable=True),
    *_statuses(),
    *_times(),
)

l7policies = Table(
    "l7policies",
    metadata,
    _id(),
    _project(),
    Column("listener_id", String(36), ForeignKey("listeners.id"), nullable=False, index=True),
    *_named(),
    Column("admin_state_up", Boolean, nullable=False),
    Column("action", String(32), nullable=False),
    Column("position", Integer, nullable=False),
    Column("redirect_pool_id", String(36), nullable=True),
    Column("redirect_url", String(2048), nullable=True),
    Column("redirect_prefix", String(2048), nullable=True),
    Column("redirect_http_code", Integer, nullable=True),
    *_statuses(),
    *_times(),
)

l7rules = Table(
    "l7rules",
    metadata,
    _id(),
    _project(),
    Column("l7policy_id", String(36), ForeignKey("l7policies.id"), nullable=False, index=True),
    Column("type", String(32), nullable=False),
    Column("compare_type", String(32), nullable=False),
    Column("key", String(255), nullable=True),
    Column("value", String(255), nullable=False),
    Column("invert", Boolean, nullable=False),
    Column("admin_state_up", Boolean, nullable=False),
    *_statuses(),
    *_times(),
)

tags = Table(
    "tags",
    metadata,
    Column("resource_id", String(36), primary_key=True),
    Column("tag", String(255), primary_key=True),
    Index("ix_tags_tag", "tag"),
)

amphorae = Table(
    "amphorae",
    metadata,
    _id(),
    Column("loadbalancer_id", String(36), nullable=True, index=True),
    Column("compute_id", String(255), nullable=True),
    Column("lb_network_ip", String(64), nullable=True),
    Column("vrrp_ip", String(64), nullable=True),
    Column("ha_ip", String(64), nullable=True),
    Column("vrrp_port_id", String(36), nullable=True),
    Column("ha_port_id", String(36), nullable=True),
    Column("mgmt_port_id", String(36), nullable=True),
    Column("role", String(16), nullable=True),
    Column("status", String(36), nullable=False, index=True),
    Column("vrrp_interface", String(16), nullable=True),
    Column("vrrp_id", Integer, nullable=True),
    Column("vrrp_priority", Integer, nullable=True),
    Column("cert_expiration", DateTime, nullable=True),
    Column("cert_busy", Boolean, nullable=False),
    Column("image_id", String(36), nullable=True),
    Column("compute_flavor", String(255), nullable=True),
    Column("cached_zone", String(255), nullable=True),
    Column("failover_reason", String(255), nullable=True),
    *_times(),
)

amphora_health = Table(
    "amphora_health",
    metadata,
    Column("amphora_id", String(36), primary_key=True),
    Column("last_update", DateTime, nullable=False),
    Column("seq", Integer, nullable=False),
    Column("busy", Boolean, nullable=False),
)

listener_stats = Table(
    "listener_stats",
    metadata,
    Column("listener_id", String(36), primary_key=True),
    Column("amphora_id", String(36), primary_key=True),
    Column("loadbalancer_id", String(36), nullable=False, index=True),
    Column("bytes_in", Integer, nullable=False),
    Column("bytes_out", Integer, nullable=False),
    Column("active_connections", Integer, nullable=False),
    Column("total_connections", Integer, nullable=False),
    Column("request_errors", Integer, nullable=False),
    Column("updated_at", DateTime, nullable=False),
)

networks = Table(
    "networks",
    metadata,
    _id(),
    _project(),
    *_named(),
    Column("admin_state_up", Boolean, nullable=False),
    Column("status", String(16), nullable=False),
    Column("shared", Boolean, nullable=False),
    Column("router_external", Boolean, nullable=False),
    Column("mtu", Integer, nullable=False),
    Column("revision_number", Integer, nullable=False),
    *_times(),
)

subnets = Table(
    "subnets",
    metadata,
    _id(),
    _project(),
    Column("network_id", String(36), ForeignKey("networks.id"), nullable=False, index=True),
    *_named(),
    Column("ip_version", Integer, nullable=False),
    Column("cidr", String(64), nullable=False),
    Column("gateway_ip", String(64), nullable=True),
    Column("enable_dhcp", Boolean, nullable=False),
    Column("allocation_pools", JSON, nullable=False),
    Column("dns_nameservers", JSON, nullable=False),
    Column("host_routes", JSON, nullable=False),
    Column("revision_number", Integer, nullable=False),
    *_times(),
)

ports = Table(
    "ports",
    metadata,
    _id(),
    _project(),
    Column("network_id", String(36), ForeignKey("networks.id"), nullable=False, index=True),
    *_named(),
    Column("admin_state_up", Boolean, nullable=False),
    Column("status", String(16), nullable=False),
    Column("mac_address", String(32), nullable=False, unique=True),
    Column("device_id", String(255), nullable=False, index=True),
    Column("device_owner", String(255), nullable=False),
    Column("security_groups", JSON, nullable=False),
    Column("allowed_address_pairs", JSON, nullable=False),
    Column("revision_number", Integer, nullable=False),
    *_times(),
)

# IPAM: one row per allocated address; the unique constraint is what makes
# two concurrent allocations of one address impossible.
ip_allocations = Table(
    "ip_allocations",
    metadata,
    Column("port_id", String(36), ForeignKey("ports.id"), nullable=False, index=True),
    Column("subnet_id", String(36), ForeignKey("subnets.id"), primary_key=True),
    Column("ip_address", String(64), primary_key=True),
    Column("position", Integer, nullable=False),
)

security_groups = Table(
    "security_groups",
    metadata,
    _id(),
    _project(),
    *_named(),
    Column("stateful", Boolean, nullable=False),
    Column("revision_number", Integer, nullable=False),
    *_times(),
)

security_group_rules = Table(
    "security_group_rules",
    metadata,
    _id(),
    _project(),
    Column("security_group_id", String(36), ForeignKey("security_groups.id"), nullable=False,
           index=True),
    Column("direction", String(16), nullable=False),
    Column("ethertype", String(16), nullable=False),
    Column("protocol", String(40), nullable=True),
    Column("port_range_min", Integer, nullable=True),
    Column("port_range_max", Integer, nullable=True),
    Column("remote_ip_prefix", String(64), nullable=True),
    Column("remote_group_id", String(36), nullable=True),
    Column("description", String(255), nullable=True),
    Column("revision_number", Integer, nullable=False),
    *_times(),
)

floatingips = Table(
    "floatingips",
    metadata,
    _id(),
    _project(),
    Column("floating_network_id", String(36), ForeignKey("networks.id"), nullable=False),
    Column("floating_ip_address", String(64), nullable=False),
    Column("floating_port_id", String(36), nullable=True),
    Column("nat_port_id", String(36), nullable=True),
    Column("port_id", String(36), nullable=True, index=True),
    Column("fixed_ip_address", String(64), nullable=True),
    Column("router_id", String(36), nullable=True),
    Column("status", String(16), nullable=False),
    Column("description", String(255), nullable=True),
    # Like a load balancer, a floating IP's NAT is converged by the controller:
    # `applied` is False until the host matches the row.
    Column("applied", Boolean, nullable=False),
    Column("pending_delete", Boolean, nullable=False),
    Column("revision_number", Integer, nullable=False),
    *_times(),
)

instances = Table(
    "instances",
    metadata,
    _id(),
    _project(),
    Column("name", String(64), nullable=False),
    Column("network_id", String(36), ForeignKey("networks.id"), nullable=False),
    Column("port_id", String(36), nullable=True),
    Column("command", JSON, nullable=False),
    Column("status", String(16), nullable=False),
    *_times(),
    # A project's instance runs confined, as its own uid (livia.domain.instances).
    Column("confined", Boolean, nullable=False, server_default=false()),
    Column("uid", Integer, nullable=True, unique=True),
    # Names are unique per project, not across projects (migration 0002).
    UniqueConstraint("project_id", "name", name="uq_instances_project_name"),
)

tokens = Table(
    "tokens",
    metadata,
    _id(),
    Column("project_id", String(255), nullable=True),
    Column("role", String(64), nullable=False),
    Column("token_hash", String(128), nullable=False, unique=True),
    Column("description", String(255), nullable=True),
    Column("created_at", DateTime, nullable=False),
)

# Host-wide singletons (the heartbeat key's fingerprint, schema notes, ...).
settings_kv = Table(
    "settings_kv",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", String(1024), nullable=False),
)


# Flavors and availability zones (livia.domain.flavors). A profile's data is the JSON
# text the operator gave; a flavor or zone in use by a load balancer cannot go.
DATA_LENGTH = 4096

flavor_profiles = Table(
    "flavor_profiles",
    metadata,
    _id(),
    Column("name", String(255), nullable=True),
    Column("provider_name", String(64), nullable=False),
    Column("flavor_data", String(DATA_LENGTH), nullable=False),
)

flavors = Table(
    "flavors",
    metadata,
    _id(),
    Column("name", String(255), nullable=True, unique=True),
    Column("description", String(255), nullable=True),
    Column("enabled", Boolean, nullable=False),
    Column("flavor_profile_id", String(36), ForeignKey("flavor_profiles.id"), nullable=False,
           index=True),
)

availability_zone_profiles = Table(
    "availability_zone_profiles",
    metadata,
    _id(),
    Column("name", String(255), nullable=True),
    Column("provider_name", String(64), nullable=False),
    Column("availability_zone_data", String(DATA_LENGTH), nullable=False),
)

availability_zones = Table(
    "availability_zones",
    metadata,
    Column("name", String(255), primary_key=True),
    Column("description", String(255), nullable=True),
    Column("enabled", Boolean, nullable=False),
    Column("availability_zone_profile_id", String(36),
           ForeignKey("availability_zone_profiles.id"), nullable=False, index=True),
)

# -- identity (Keystone v3 shaped; livia.domain.identity) ---------------------------------

projects = Table(
    "projects",
    metadata,
    _id(),
    Column("name", String(64), nullable=False),
    Column("domain_id", String(64), nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("description", String(255), nullable=True),
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("domain_id", "name", name="uq_projects_domain_name"),
)

users = Table(
    "users",
    metadata,
    _id(),
    Column("name", String(255), nullable=False),
    Column("domain_id", String(64), nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("password_hash", String(255), nullable=True),
    Column("default_project_id", String(36), nullable=True),
    Column("email", String(255), nullable=True),
    Column("description", String(255), nullable=True),
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("domain_id", "name", name="uq_users_domain_name"),
)

role_assignments = Table(
    "role_assignments",
    metadata,
    _id(),
    Column("user_id", String(36), ForeignKey("users.id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("project_id", String(36), ForeignKey("projects.id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("role", String(64), nullable=False),
    UniqueConstraint("user_id", "project_id", "role", name="uq_role_assignments_user_id"),
)

application_credentials = Table(
    "application_credentials",
    metadata,
    _id(),
    Column("user_id", String(36), ForeignKey("users.id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("project_id", String(36), nullable=False),
    Column("name", String(255), nullable=False),
    Column("description", String(255), nullable=True),
    Column("secret_hash", String(255), nullable=False),
    Column("roles", JSON, nullable=False),
    Column("unrestricted", Boolean, nullable=False),
    Column("expires_at", DateTime, nullable=True),
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("user_id", "name", name="uq_application_credentials_user_id"),
)

issued_tokens = Table(
    "issued_tokens",
    metadata,
    _id(),
    Column("token_hash", String(128), nullable=False, unique=True),
    Column("user_id", String(36), nullable=False, index=True),
    Column("project_id", String(36), nullable=True),
    Column("roles", JSON, nullable=False),
    Column("methods", JSON, nullable=False),
    Column("app_credential_id", String(36), nullable=True),
    Column("audit_id", String(64), nullable=False),
    Column("issued_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False, index=True),
    Column("revoked", Boolean, nullable=False),
)

# -- quotas (livia.domain.quotas): a project's overrides, None = the default -------------

quotas = Table(
    "quotas",
    metadata,
    Column("project_id", String(255), primary_key=True),
    *(Column(r.value, Integer, nullable=True) for r in Resource),
)
