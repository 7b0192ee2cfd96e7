"""Every other installed service consumes the organizations events of a busy afternoon — tree
changes, units reporting in, agreements lending spaces — without parking a single one."""

import eventlet

from shared.services import installed_services
from shared.testing.helpers import wait_for
from tests.integration.organizations.support import OrgTenant


def test_consumers_take_every_event(platform, onboard, rpc_client, tokens, operator):
    org = OrgTenant(onboard()["slug"], rpc_client, tokens)
    t = org.tree()
    grid = org.node("grid", "第二网格", t["community"])
    org.admin.move_node({"node_id": t["compound"]["id"], "new_parent_id": grid["id"]})
    org.admin.update_node({"node_id": t["compound"]["id"], "name": "改名小区", "location": {"lat": 30.9, "lng": 120.1}})
    org.admin.archive_node({"node_id": t["grid"]["id"]})
    unit = org.reported_unit(t["community"], name="出借单位", kind="public_institution")
    agreement = org.admin.create_agreement({
        "unit_id": unit["id"], "community_id": t["community"]["id"], "title": "共享会议室",
        "valid_from": "2026-01-01", "valid_until": "2026-12-31",
        "resources": [{"kind": "space", "name": "会议室", "windows": [{"weekday": 6, "start": "09:00", "end": "12:00"}]},
                      {"kind": "parking", "name": "停车场", "quantity": 20,
                       "windows": [{"weekday": 7, "start": "00:00", "end": "24:00"}]}]})
    org.admin.sign_agreement({"agreement_id": agreement["id"]})
    org.admin.update_agreement({"agreement_id": agreement["id"], "resources": [agreement["resources"][0]]})
    org.admin.terminate_agreement({"agreement_id": agreement["id"], "reason": "到期"})
    org.admin.withdraw_report_in({"report_id": org.admin.list_report_ins({"unit_id": unit["id"]})["items"][0]["id"]})
    community_code_path = f"{t['street']['code']}/{t['community']['code']}"
    org.admin.import_nodes({"rows": [{"kind": "grid", "code": f"IMP{i}", "name": f"导入网格{i}",
                                      "parent": community_code_path} for i in range(20)]})

    wait_for(lambda: operator.organizations.health()["outbox"]["unpublished"] == 0, timeout=20,
             message="the relay to publish everything")
    eventlet.sleep(1.0)  # a failing handler retries (0.05 s, 0.1 s) and then parks the event
    for service in installed_services():
        parked = getattr(operator, service).list_dead_letters({"tenant": org.slug})["items"]
        assert parked == [], (service, parked)
