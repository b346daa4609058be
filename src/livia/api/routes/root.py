"""Version discovery, providers and the Keystone look-ups the CLI makes."""

from __future__ import annotations

from typing import Any, NoReturn

from fastapi import Request
from fastapi.responses import JSONResponse

from livia.api import keystone, routing
from livia.api.context import CallDep
from livia.api.openapi import documented
from livia.domain.errors import Forbidden
from livia.domain.limits import quote
from livia.domain.loadbalancers import PROVIDERS

router = routing.router("discovery")

# Octavia's API minor versions are additive; clients take the last one as current.
MINOR_VERSIONS = 30
UPDATED = "2024-01-01T00:00:00Z"


def _versions(base: str) -> list[dict[str, Any]]:
    out = []
    for minor in range(MINOR_VERSIONS + 1):
        out.append({
            "id": f"v2.{minor}",
            "status": "CURRENT" if minor == MINOR_VERSIONS else "SUPPORTED",
            "updated": UPDATED,
            "links": [{"href": f"{base}/v2", "rel": "self"}],
        })
    return out


def _base(request: Request) -> str:
    configured = request.app.state.services.settings.api_base_url
    return str(configured or request.base_url).rstrip("/")


@router.get("/", summary="API versions (no token needed)")
def versions(request: Request) -> dict[str, Any]:
    return {"versions": _versions(_base(request))}


@router.get("/v2", summary="The v2 API's version document (keystoneauth discovery)")
@router.get("/v2.0", summary="The v2 API's version document (keystoneauth discovery)")
def version_v2(request: Request) -> dict[str, Any]:
    current = _versions(_base(request))[-1]
    return {"version": current, "versions": [current]}


@router.get("/identity", summary="Identity (Keystone v3) version discovery", status_code=300)
@router.get("/identity/", include_in_schema=False, status_code=300)
def identity_versions(request: Request) -> JSONResponse:
    base = _base(request)
    return JSONResponse({"versions": {"values": [keystone.version_entry(base)]}},
                        status_code=300, headers={"Location": f"{base}/identity/v3/"})


@router.get("/identity/v3", summary="Identity v3's version document")
@router.get("/identity/v3/", include_in_schema=False)
@router.get("/v3", include_in_schema=False)
@router.get("/v3/", include_in_schema=False)
def identity_version(request: Request) -> dict[str, Any]:
    return {"version": keystone.version_entry(_base(request))}


@router.get("/v2/lbaas/providers")
@router.get("/v2.0/lbaas/providers")
def providers(call: CallDep) -> dict[str, Any]:
    return {"providers": [{"name": n, "description": d} for n, d in PROVIDERS.items()]}


def _no_project_lookup(what: str) -> NoReturn:
    raise Forbidden(f"Project look-up is not available: {quote(what)}")


@router.get("/projects/{project_id}", summary="Keystone stand-in: project look-ups are refused",
            response_model=None, responses=documented(403))
def project(project_id: str) -> NoReturn:
    """The CLI resolves ``--project X`` through Keystone and uses X as given on a 403."""
    _no_project_lookup(project_id)


@router.get("/projects", summary="Keystone stand-in: project searches are refused",
            response_model=None, responses=documented(403))
def projects(name: str = "") -> NoReturn:
    """After ``GET /projects/X`` the CLI searches ``?name=X``; only a 403 lets it use X as given
    (a 404 there makes it fail with "No project with a name or ID of X exists")."""
    _no_project_lookup(name or "projects")
