"""List requests: pagination links (that keep filters), sorting, field selection and filters."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from lbaas_stack import LBAAS, Stack, expect, fault

LBS = f"{LBAAS}/loadbalancers"
Params = list[tuple[str, str]]


def _four(stack: Stack) -> dict[str, str]:
    """Load balancers a..d (tags a: red+blue, b: red, c: blue; d is admin down), ACTIVE."""
    specs: dict[str, dict[str, Any]] = {
        "a": {"tags": ["red", "blue"]}, "b": {"tags": ["red"]}, "c": {"tags": ["blue"]},
        "d": {"admin_state_up": False}}
    ids = {name: stack.create_lb(wait=False, name=name, **extra)["id"]
           for name, extra in specs.items()}
    for lb_id in ids.values():
        stack.wait_for(lb_id)
    return ids


def _page(stack: Stack, params: Params | None = None, url: str = LBS
          ) -> tuple[list[dict[str, Any]], dict[str, str]]:
    body = expect(stack.api.get(url, params=params), 200)
    links = {link["rel"]: link["href"] for link in body["loadbalancers_links"]}
    return body["loadbalancers"], links


def _names(stack: Stack, params: Params) -> list[str]:
    return [lb["name"] for lb in _page(stack, params)[0]]


def test_pagination_links_keep_filters(stack: Stack) -> None:
    ids = _four(stack)
    everything, links = _page(stack)
    assert len(everything) == 4 and links == {}
    order = [lb["id"] for lb in everything]
    first, links = _page(stack, [("limit", "2")])
    assert [lb["id"] for lb in first] == order[:2]
    assert set(links) == {"next"}
    assert links["next"].startswith("http://testserver/v2/lbaas/loadbalancers?")
    second, links2 = _page(stack, url=links["next"])
    assert [lb["id"] for lb in second] == order[2:]
    assert set(links2) == {"previous"}
    back, _ = _page(stack, url=links2["previous"])
    assert [lb["id"] for lb in back] == order[:2]
    # page_reverse from a marker walks backwards.
    reverse, _ = _page(stack, [("limit", "2"), ("marker", order[3]), ("page_reverse", "true")])
    assert [lb["id"] for lb in reverse] == order[1:3]
    # The filters and the sort go along in the links.
    red, links = _page(stack, [("tags", "red"), ("sort", "name:asc"), ("limit", "1")])
    assert [lb["name"] for lb in red] == ["a"]
    query = parse_qs(urlsplit(links["next"]).query)
    assert query["tags"] == ["red"] and query["sort"] == ["name:asc"]
    assert query["limit"] == ["1"] and query["marker"] == [ids["a"]]
    rest, links = _page(stack, url=links["next"])
    assert [lb["name"] for lb in rest] == ["b"] and "next" not in links
    # Sorted pages by name, both spellings of the sort.
    page1, links = _page(stack, [("sort", "name:desc"), ("limit", "3")])
    assert [lb["name"] for lb in page1] == ["d", "c", "b"]
    assert [lb["name"] for lb in _page(stack, url=links["next"])[0]] == ["a"]
    for bad in ([("limit", "x")], [("limit", "-1")], [("marker", "nope")],
                [("page_reverse", "maybe")], [("sort", "bogus:asc")], [("sort", "name:up")],
                [("sort_key", "vip_port_id;drop")]):
        fault(stack.api.get(LBS, params=bad), 400)


def _check_tag_filters(stack: Stack) -> None:
    def names(params: Params) -> list[str]:
        return _names(stack, [*params, ("sort", "name")])

    assert names([("tags", "red,blue")]) == ["a"]
    assert names([("tags", "red"), ("tags", "blue")]) == ["a"]
    assert names([("tags", "red")]) == ["a", "b"]
    assert names([("tags-any", "red,blue")]) == ["a", "b", "c"]
    assert names([("tags-any", "red"), ("tags-any", "blue")]) == ["a", "b", "c"]
    assert names([("not-tags", "red,blue")]) == ["b", "c", "d"]
    assert names([("not-tags-any", "red,blue")]) == ["d"]
    assert names([("not-tags-any", "red")]) == ["c", "d"]
    assert names([("tags", "red"), ("not-tags", "blue")]) == ["b"]
    assert names([("tags", "green")]) == []


def test_sort_fields_and_filters(stack: Stack) -> None:
    ids = _four(stack)
    assert _names(stack, [("sort", "name:desc")]) == ["d", "c", "b", "a"]
    assert _names(stack, [("sort_key", "name"), ("sort_dir", "desc")]) == ["d", "c", "b", "a"]
    assert _names(stack, [("sort", "admin_state_up:asc,name:desc")]) == ["d", "c", "b", "a"]
    assert _names(stack, [("sort_key", "admin_state_up"), ("sort_key", "name"),
                          ("sort_dir", "desc"), ("sort_dir", "asc")]) == ["a", "b", "c", "d"]
    # Field selection, repeated or comma-separated (Octavia's comma form returns {}).
    for params in ([("fields", "id"), ("fields", "name")], [("fields", "id,name")]):
        found = _page(stack, params)[0]
        assert all(set(lb) == {"id", "name"} for lb in found) and len(found) == 4
    shown = expect(stack.api.get(f"{LBS}/{ids['a']}", params={"fields": "name,tags"}), 200)
    assert shown == {"loadbalancer": {"name": "a", "tags": ["blue", "red"]}}
    # Attribute filters; a repeated one means "any of".
    assert _names(stack, [("name", "b")]) == ["b"]
    assert _names(stack, [("name", "b"), ("name", "c"), ("sort", "name")]) == ["b", "c"]
    assert _names(stack, [("admin_state_up", "false")]) == ["d"]
    assert _names(stack, [("admin_state_up", "true"), ("sort", "name")]) == ["a", "b", "c"]
    assert len(_names(stack, [("provisioning_status", "ACTIVE")])) == 4
    assert _names(stack, [("id", ids["c"])]) == ["c"]
    assert _names(stack, [("project_id", stack.project_a), ("name", "a")]) == ["a"]
    assert _names(stack, [("name", "nothing")]) == []
    fault(stack.api.get(LBS, params={"admin_state_up": "perhaps"}), 400)
    _check_tag_filters(stack)
    with stack.paused():
        late = stack.create_lb(wait=False, name="e")
        assert _names(stack, [("provisioning_status", "PENDING_CREATE")]) == ["e"]
        assert _names(stack, [("operating_status", "OFFLINE"), ("sort", "name")]) == ["d", "e"]
    stack.wait_for(late["id"])
