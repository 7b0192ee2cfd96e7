"""Plain rules of the people registry: address normalisation and masking, the key ring, who may
grant which role, and what a person token carries."""

import base64
from types import SimpleNamespace

import pytest

from services.tenants import contacts, domain
from shared.caller import Caller, Grant
from shared.pii import KeyRing, KeyRingError, associated_data, new_ring


@pytest.mark.parametrize("raw", ["13812345678", "138 1234 5678", "138-1234-5678", "+8613812345678",
                                 "+86 138 1234 5678", "008613812345678", "8613812345678"])
def test_mainland_mobiles_become_e164(raw):
    assert contacts.normalise_phone(raw) == "+8613812345678"


@pytest.mark.parametrize("raw, expected", [("0572-2345678", "+865722345678"), ("+14155550123", "+14155550123"),
                                           ("010 12345678", "+861012345678")])
def test_landlines_and_foreign_numbers(raw, expected):
    assert contacts.normalise_phone(raw) == expected


@pytest.mark.parametrize("raw", ["12345", "12812345678", "+86123", "abc", "+0123456789", "1381234567a"])
def test_bad_phones_are_refused(raw):
    with pytest.raises(contacts.AddressError):
        contacts.normalise_phone(raw)


def test_emails_and_openids():
    assert contacts.normalise_email(" Wang@Example.COM ") == "wang@example.com"
    for bad in ("a@b", "no-at.example.com", "a b@example.com"):
        with pytest.raises(contacts.AddressError):
            contacts.normalise_email(bad)
    assert contacts.normalise_openid("oX8kT3vQa9") == "oX8kT3vQa9"
    with pytest.raises(contacts.AddressError):
        contacts.normalise_openid("short")


def test_masks_never_show_the_middle():
    assert contacts.mask("sms", "+8613812345678") == "138****5678"
    assert contacts.mask("sms", "+14155550123") == "141****0123"
    assert contacts.mask("email", "wang@example.com") == "w***@example.com"
    assert contacts.mask("wechat", "oX8kT3vQa9") == "oX8k****a9"


def test_sealed_values_open_only_with_their_row_and_key():
    ring = new_ring()
    key_id, sealed = ring.seal("+8613812345678", associated_data("tongling", "p1", "sms"))
    assert b"13812345678" not in sealed
    assert ring.open(key_id, sealed, associated_data("tongling", "p1", "sms")) == "+8613812345678"
    for other in (associated_data("huayin", "p1", "sms"), associated_data("tongling", "p2", "sms")):
        with pytest.raises(KeyRingError):
            ring.open(key_id, sealed, other)


def test_rotation_keeps_old_values_readable_and_retiring_needs_a_new_current():
    ring = new_ring()
    old_id, sealed = ring.seal("a@example.com", "x")
    rotated = KeyRing.from_json(ring.rotated().to_json())
    assert rotated.current != old_id and rotated.open(old_id, sealed, "x") == "a@example.com"
    assert rotated.seal("b", "x")[0] == rotated.current
    assert rotated.lookup_hash("t", "email", "a") == ring.lookup_hash("t", "email", "a")
    with pytest.raises(KeyRingError):
        rotated.without(rotated.current)
    with pytest.raises(KeyRingError):
        rotated.without(old_id).open(old_id, sealed, "x")


def test_lookup_hashes_differ_between_tenants_and_channels():
    ring = new_ring()
    assert ring.lookup_hash("a", "sms", "+86138") != ring.lookup_hash("b", "sms", "+86138")
    assert ring.lookup_hash("a", "sms", "x") != ring.lookup_hash("a", "email", "x")


def test_malformed_rings_are_refused():
    good = base64.b64encode(b"k" * 32).decode()
    for text in ('{"current": "k1", "keys": {}, "lookup": "%s"}' % good,
                 '{"current": "k1", "keys": {"k1": "c2hvcnQ="}, "lookup": "%s"}' % good, "nonsense"):
        with pytest.raises(KeyRingError):
            KeyRing.from_json(text)


def caller(*grants):
    return Caller(subject="user:x", tenant="t", grants=tuple(grants))


def test_admins_grant_anything():
    assert domain.grant_problem(caller(Grant("tenant_admin")), "street_secretary", None, None) is None
    assert domain.grant_problem(caller(Grant("tenant_admin")), "unit_liaison", None, "u1") is None


def test_secretaries_grant_inside_their_subtree_and_not_above_themselves():
    community = caller(Grant("community_secretary", "st.co"))
    assert domain.grant_problem(community, "grid_worker", "st.co.g1", None) is None
    assert domain.grant_problem(community, "community_secretary", "st.co", None) is None
    assert domain.grant_problem(community, "street_secretary", "st.co", None) is not None
    assert domain.grant_problem(community, "grid_worker", "st.other", None) is not None
    assert domain.grant_problem(community, "grid_worker", None, None) is not None  # tenant-wide
    assert domain.grant_problem(community, "tenant_admin", "st.co", None) is not None
    assert domain.grant_problem(community, "unit_liaison", "st.co", "u1") is not None
    street = caller(Grant("street_secretary", "st"))
    assert domain.grant_problem(street, "community_secretary", "st.co", None) is None


def test_grid_workers_and_residents_grant_nothing():
    for role in ("grid_worker", "resident", "volunteer"):
        assert domain.grant_problem(caller(Grant(role)), "resident", "a", None) is not None


def test_person_tokens_carry_own_grants_plus_resident_and_never_admin_when_delegated():
    rows = [SimpleNamespace(role="volunteer", scope="a.b", unit_id=None),
            SimpleNamespace(role="tenant_admin", scope=None, unit_id=None)]
    delegated = domain.person_grants(rows, delegated=True)
    assert delegated == [Grant("volunteer", "a.b"), Grant("resident")]
    direct = domain.person_grants(rows, delegated=False)
    assert Grant("tenant_admin") in direct and Grant("resident") in direct


def test_person_status_transitions():
    assert domain.next_person_status("active", "deactivate") == "deactivated"
    assert domain.next_person_status("deactivated", "reactivate") == "active"
    assert domain.next_person_status("deactivated", "erase") == "erased"
    with pytest.raises(Exception, match="cannot reactivate a person who is erased"):
        domain.next_person_status("erased", "reactivate")
