"""People: registration, lookup, masking and audited reveal, encryption at rest, updates,
deactivation, consent and contact points — against real RabbitMQ and PostgreSQL."""

import time
import uuid

import pytest
from sqlalchemy import create_engine, text

from services.tenants.service import TenantsService
from shared.config import database_url
from shared.errors import Conflict, Forbidden, NotFound, Unauthenticated, ValidationError
from shared.keys import generate_keypair, load_private_key
from shared.testing.helpers import race


@pytest.fixture
def tenant(start_services, onboard, rpc_client, tokens):
    start_services(TenantsService)
    onboard("tongling")
    onboard("huayin")
    return rpc_client("tongling", tokens.admin("tongling")).tenants


@pytest.fixture
def db(gj_config):
    engine = create_engine(database_url(gj_config, "tenants"))
    yield engine
    engine.dispose()


def test_register_normalises_and_masks_and_finds_by_every_spelling(tenant):
    person = tenant.register_person({"name": "王秀英", "phone": "138 1234 5678",
                                     "email": "Wang.XY@Example.com", "wechat_openid": "oX8kT3vQa9"})
    assert person["phone"] == "138****5678"
    assert person["email"] == "w***@example.com"
    assert person["wechat_openid"] == "oX8k****a9"
    assert person["status"] == "active" and person["roles"] == []
    channels = {c["channel"]: c for c in person["contacts"]}
    assert set(channels) == {"inbox", "sms", "wechat", "email"}
    assert channels["sms"]["verified"] is False and channels["sms"]["consent"] is None
    for spelling in ("13812345678", "+8613812345678", "+86 138-1234-5678", "008613812345678"):
        assert tenant.find_person({"phone": spelling})["id"] == person["id"]
    assert tenant.find_person({"email": "wang.xy@example.com"})["id"] == person["id"]
    assert tenant.find_person({"wechat_openid": "oX8kT3vQa9"})["id"] == person["id"]
    with pytest.raises(NotFound):
        tenant.find_person({"phone": "13900000000"})


def test_phone_email_openid_are_encrypted_at_rest(tenant, db):
    tenant.register_person({"name": "李强", "phone": "13912345678", "email": "li@example.com",
                            "wechat_openid": "oSecretOpenid42"})
    with db.connect() as conn:
        dump = conn.execute(text(
            "SELECT string_agg(t::text, '|') FROM t_tongling.contact_points t")).scalar()
        people = conn.execute(text("SELECT string_agg(p::text, '|') FROM t_tongling.people p")).scalar()
    for secret in ("13912345678", "li@example.com", "oSecretOpenid42"):
        assert secret not in dump and secret not in people
    assert "139****5678" in dump  # only the masked hint is readable


def test_reveal_is_for_tenant_admins_and_is_audited(tenant, rpc_client, tokens, db):
    person = tenant.register_person({"name": "赵敏", "phone": "13700001111"})
    revealed = tenant.get_person(person["id"], reveal=True)
    assert revealed["phone"] == "+8613700001111"
    by_phone = tenant.find_person({"phone": "13700001111", "reveal": True})
    assert by_phone["phone"] == "+8613700001111"
    with db.connect() as conn:
        rows = conn.execute(text(
            "SELECT method, subject, outcome, detail FROM t_tongling.audit_log "
            "WHERE method IN ('get_person', 'find_person') ORDER BY id")).all()
    assert [r.method for r in rows] == ["get_person", "find_person"]
    assert all(r.detail == {"revealed": ["phone"]} and r.outcome == "ok" for r in rows)
    secretary = rpc_client("tongling", tokens.make("tongling", "community_secretary")).tenants
    with pytest.raises(Forbidden):
        secretary.get_person(person["id"], reveal=True)
    assert secretary.get_person(person["id"])["phone"] == "137****1111"


def test_duplicates_are_conflicts_and_concurrent_registration_has_one_winner(tenant, rpc_client, tokens):
    tenant.register_person({"name": "甲", "phone": "13600002222"})
    with pytest.raises(Conflict) as caught:
        tenant.register_person({"name": "乙", "phone": "+86 136 0000 2222"})
    assert caught.value.details == {"field": "phone"}
    admins = [rpc_client("tongling", tokens.admin("tongling")).tenants for _ in range(6)]
    outcomes = race(*[lambda a=a, i=i: a.register_person({"name": f"并发{i}", "email": "same@example.com"})
                      for i, a in enumerate(admins)])
    assert sum(isinstance(o, dict) for o in outcomes) == 1
    assert all(isinstance(o, Conflict) for o in outcomes if not isinstance(o, dict))
    listed = tenant.list_people({"limit": 200})["items"]
    assert sorted(p["name"] for p in listed if p["name"].startswith("并发")) == [
        o["name"] for o in outcomes if isinstance(o, dict)]


@pytest.mark.parametrize("payload, field", [
    ({"name": "x", "phone": "12345"}, "phone"),
    ({"name": "x", "email": "not-an-email"}, "email"),
    ({"name": "x", "wechat_openid": "a b"}, "wechat_openid"),
    ({"name": "x", "id": str(uuid.uuid4())}, "id"),
    ({"name": "x", "tenant": "huayin"}, "tenant"),
    ({"name": "x", "roles": [{"role": "tenant_admin"}]}, "roles"),
    ({"name": "x", "status": "active"}, "status"),
    ({"name": ""}, "name"),
    ({"phone": "13800000000"}, "name"),
])
def test_bad_input_is_refused_by_field_and_nothing_is_written(tenant, payload, field):
    with pytest.raises(ValidationError) as caught:
        tenant.register_person(payload)
    assert field in caught.value.details
    assert tenant.list_people({"status": "any"})["items"] == []


def test_update_changes_addresses_and_resets_verification(tenant):
    person = tenant.register_person({"name": "钱", "phone": "13500003333", "email": "q@example.com"})
    tenant.verify_contact({"person_id": person["id"], "channel": "sms"})
    updated = tenant.update_person({"person_id": person["id"], "phone": "13500004444", "email": None,
                                    "name": "钱多多"})
    assert updated["name"] == "钱多多" and updated["phone"] == "135****4444" and updated["email"] is None
    sms = next(c for c in updated["contacts"] if c["channel"] == "sms")
    assert sms["verified"] is False
    assert tenant.find_person({"phone": "13500004444"})["id"] == person["id"]
    with pytest.raises(NotFound):
        tenant.find_person({"phone": "13500003333"})
    with pytest.raises(ValidationError):
        tenant.update_person({"person_id": person["id"], "created_by": "me"})


def test_a_person_reads_and_changes_only_themself(tenant, rpc_client, tokens):
    me = tenant.register_person({"name": "我", "phone": "13300005555"})
    other = tenant.register_person({"name": "他", "phone": "13300006666"})
    own = rpc_client("tongling", tokens.make("tongling", "resident", subject=f"person:{me['id']}")).tenants
    assert own.get_person(me["id"])["name"] == "我"
    assert own.update_person({"person_id": me["id"], "name": "我自己"})["name"] == "我自己"
    with pytest.raises(NotFound):
        own.get_person(other["id"])
    with pytest.raises(NotFound):
        own.update_person({"person_id": other["id"], "name": "改你"})
    with pytest.raises(Forbidden):
        own.list_people({})
    with pytest.raises(Forbidden):
        own.get_person(me["id"], reveal=True)


def test_consent_by_the_person_and_contact_points_only_for_the_system(tenant, rpc_client, tokens):
    person = tenant.register_person({"name": "孙", "phone": "13200007777", "email": "s@example.com"})
    own = rpc_client("tongling", tokens.make("tongling", "resident", subject=f"person:{person['id']}")).tenants
    own.set_consent({"person_id": person["id"], "channel": "sms", "consent": "given", "source": "小程序设置"})
    own.set_consent({"person_id": person["id"], "channel": "inbox", "consent": "withdrawn", "source": "小程序设置"})
    system = rpc_client("tongling", tokens.make("tongling", "system", subject="service:notifications")).tenants
    points = system.contact_points({"person_ids": [person["id"]]})["items"]
    assert [(p["channel"], p["address"]) for p in points] == [("sms", "+8613200007777")]
    everything = system.contact_points({"person_ids": [person["id"]], "consented_only": False})["items"]
    assert {p["channel"] for p in everything} == {"inbox", "sms", "email"}
    for caller in (tenant, own):
        with pytest.raises(Forbidden):
            caller.contact_points({"person_ids": [person["id"]]})
    with pytest.raises(NotFound):
        own.set_consent({"person_id": person["id"], "channel": "wechat", "consent": "given", "source": "x"})


def test_deactivated_people_get_no_contact_points_and_can_be_reactivated(tenant, rpc_client, tokens):
    person = tenant.register_person({"name": "周", "phone": "13100008888"})
    tenant.set_consent({"person_id": person["id"], "channel": "sms", "consent": "given", "source": "纸质表"})
    assert tenant.deactivate_person({"person_id": person["id"]})["status"] == "deactivated"
    with pytest.raises(Conflict):
        tenant.deactivate_person({"person_id": person["id"]})
    system = rpc_client("tongling", tokens.make("tongling", "system", subject="service:notifications")).tenants
    assert system.contact_points({"person_ids": [person["id"]]})["items"] == []
    assert tenant.reactivate_person({"person_id": person["id"]})["status"] == "active"
    assert len(system.contact_points({"person_ids": [person["id"]]})["items"]) == 2


def test_people_of_one_tenant_are_never_found_from_another(tenant, rpc_client, tokens):
    person = tenant.register_person({"name": "吴", "phone": "13000009999", "wechat_openid": "oTonglingOnly"})
    huayin = rpc_client("huayin", tokens.admin("huayin")).tenants
    with pytest.raises(NotFound):
        huayin.get_person(person["id"])
    with pytest.raises(NotFound):
        huayin.find_person({"phone": "13000009999"})
    with pytest.raises(NotFound):
        huayin.find_person({"wechat_openid": "oTonglingOnly"})
    with pytest.raises(NotFound):
        huayin.update_person({"person_id": person["id"], "name": "x"})
    # the same phone may belong to a different person in another tenant
    assert huayin.register_person({"name": "吴", "phone": "13000009999"})["id"] != person["id"]
    with pytest.raises(Forbidden):
        rpc_client("tongling", tokens.admin("huayin")).tenants.get_person(person["id"])


def test_missing_forged_and_expired_tokens_are_refused(tenant, rpc_client, tokens, tmp_path):
    person = tenant.register_person({"name": "令牌", "phone": "17100004444"})
    expired = tokens.make("tongling", "tenant_admin", ttl=60, now=time.time() - 3600)
    folder = tmp_path
    generate_keypair(folder / "k", folder / "k.pub")
    forged = tokens.make("tongling", "tenant_admin", private_key=load_private_key(folder / "k"))
    for token in (None, expired, forged):
        client = rpc_client("tongling", token).tenants
        with pytest.raises(Unauthenticated):
            client.get_person(person["id"])
        with pytest.raises(Unauthenticated):
            client.register_person({"name": "x"})


def test_malformed_ids_are_validation_errors(tenant):
    with pytest.raises(ValidationError) as caught:
        tenant.get_person("not-a-uuid")
    assert "person_id" in caught.value.details
    with pytest.raises(ValidationError):
        tenant.get_person(str(uuid.uuid4()), reveal="yes please")
