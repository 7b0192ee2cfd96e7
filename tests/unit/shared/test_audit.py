"""shared.audit without services: which ids a call touched, the pending record, cursors."""

import uuid
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import marshmallow
import pytest

from shared import audit
from shared.errors import ValidationError

A, B, C, D, E = (str(uuid.uuid4()) for _ in range(5))


def test_payload_ids_bare_ids_nested_ids_and_result_ids():
    arguments = {
        "venue_id": B,                                     # a bare id argument
        "data": {"id": A, "room_id": C.upper(), "name": "张三", "phone": "13912345678",
                 "nested": {"unit_id": D, "deeper": {"node_id": E}}},
    }
    assert audit.object_ids(arguments, {"id": E, "title": "x"}) == [B, A, C, D, E]


def test_only_uuid_looking_values_of_id_keys():
    arguments = {"data": {"id": "13912345678", "person_id": "not-a-uuid", "name": A, "slug_id": 7,
                          "phone": B, "owner_id": None}}
    assert audit.object_ids(arguments) == []  # ids only: never a phone, a name or a number


def test_id_lists_uuid_objects_noted_ids_order_and_repeats():
    arguments = {"data": {"node_ids": [A, "x", B], "room_id": uuid.UUID(C), "again_id": A}}
    assert audit.object_ids(arguments, {"booking_id": C}, noted=["slug:x", D]) == [A, B, C, "slug:x", D]


def test_at_most_max_object_ids():
    many = [str(uuid.uuid4()) for _ in range(audit.MAX_OBJECT_IDS + 50)]
    assert len(audit.object_ids({"data": {"item_ids": many}}, noted=many)) == audit.MAX_OBJECT_IDS


def test_lists_of_dicts_and_payload_bodies_are_not_searched():
    assert audit.object_ids({"data": {"rows": [{"id": A}], "body": A}}) == []
    assert audit.object_ids(None, None) == []
    assert audit.object_ids({"payload": None, "reason": "x"}, ["not", "a", "dict"]) == []


def test_note_collects_ids_detail_and_subject_on_the_scope():
    scope = SimpleNamespace(audit_pending=None)
    audit.note(scope, uuid.UUID(A), None, B.upper(), detail={"revealed": ["phone"]})
    audit.note(scope, C, subject="client:42", detail={"count": 2})
    pending = scope.audit_pending
    assert pending.object_ids == [A, B, C]
    assert pending.detail == {"revealed": ["phone"], "count": 2}
    assert pending.subject == "client:42"


def test_platform_tenant_is_the_slug_argument_or_result():
    assert audit._platform_tenant({"data": {"slug": "tongling"}}, None) == "tongling"
    assert audit._platform_tenant({"slug": "huzhou"}, None) == "huzhou"
    assert audit._platform_tenant({"data": {}}, {"slug": "wuxing"}) == "wuxing"
    assert audit._platform_tenant({}, None) is None


def test_positions_round_trip_and_refuse_foreign_cursors():
    at = datetime(2026, 6, 1, 8, 0, 0, 123456, tzinfo=timezone(timedelta(hours=8)))
    assert audit.decode_position(audit.encode_position(at, 42)) == (at, 42)
    for bad in ("nonsense", audit.encode_position(at, 1)[:-3] + "xyz"):
        with pytest.raises(ValidationError):
            audit.decode_position(bad)
    from shared.pagination import encode_cursor

    with pytest.raises(ValidationError):
        audit.decode_position(encode_cursor(["2026-06-01T08:00:00", 1]))  # no offset
    with pytest.raises(ValidationError):
        audit.decode_position(encode_cursor(["yesterday", 1]))


def test_filter_schema():
    loaded = audit.AuditFilter().load({"subject": "user:a", "since": "2026-06-01T08:00:00+08:00"})
    assert loaded["limit"] == 50 and loaded["object_id"] is None
    with pytest.raises(marshmallow.ValidationError):
        audit.AuditFilter().load({"since": "2026-06-01T08:00:00"})  # times carry their offset
    with pytest.raises(marshmallow.ValidationError):
        audit.AuditFilter().load({"limit": 500})
