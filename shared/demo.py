"""What the services' demo loaders share: they talk to the platform through its RPCs, like any
integrator, so loading twice finds what is there instead of writing it again."""


def all_items(list_rpc, payload):
    """Every item of a paged list RPC (follows ``next_cursor`` to the end)."""
    items, cursor = [], None
    while True:
        page = list_rpc({**payload, "limit": 200, "cursor": cursor})
        items += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return items


def nodes_by_code_path(organizations):
    """``"street code/community code/…"`` → node, for every active node whose ancestors all have
    codes (the demo data names nodes by these paths)."""
    nodes = all_items(organizations.list_nodes, {})
    by_id = {n["id"]: n for n in nodes}
    paths = {}

    def code_path(n):
        if n["id"] not in paths:
            parent = by_id.get(n["parent_id"]) if n["parent_id"] else None
            above = code_path(parent) if parent else ""
            paths[n["id"]] = f"{above}/{n['code']}" if above else n["code"]
        return paths[n["id"]]

    return {code_path(n): n for n in nodes if n["code"]}
