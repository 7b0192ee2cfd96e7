"""The demo data of every demo tenant loads through the real service, and loading it again
creates nothing (gongjian seed is re-runnable)."""

import pytest

from services.organizations import demo


@pytest.mark.parametrize("builder", ["wuxing", "tongling", "huayin", "kuiwen"])
def test_demo_data_loads_twice(org, outbox, builder):
    data = getattr(demo, builder)()
    messages = []
    demo.load_data(org._rpc_client(org.slug, org.tokens.admin(org.slug)), data,
                   lambda message, **fields: messages.append((message, fields)))
    assert messages[0][1]["created"] == len(data["nodes"])
    events = len(outbox.events(org.slug))
    demo.load_data(org._rpc_client(org.slug, org.tokens.admin(org.slug)), data,
                   lambda message, **fields: messages.append((message, fields)))
    assert len(outbox.events(org.slug)) == events  # nothing new the second time
    communities = org.admin.list_nodes({"kind": "community", "limit": 200})["items"]
    assert communities
    if builder == "huayin":
        xiyue = next(c for c in communities if c["name"] == "西岳社区")
        assert len(org.admin.list_nodes({"parent_id": xiyue["id"], "kind": "grid"})["items"]) == 15
        assert len(org.admin.list_nodes({"subtree": xiyue["id"], "kind": "compound", "limit": 200})["items"]) == 33
    if builder == "tongling":
        baihe = next(c for c in communities if c["name"] == "白鹤社区")
        stats = org.admin.get_statistics({"node_id": baihe["id"]})
        assert stats["alliances"]["member_units"] == 6 and stats["whistles"]["by_status"]["closed"] == 2
