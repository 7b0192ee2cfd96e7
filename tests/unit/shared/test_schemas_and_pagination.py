import marshmallow
import pytest
from marshmallow import fields

from shared.endpoints import load
from shared.errors import ValidationError
from shared.outbox import envelope
from shared.pagination import decode_cursor, encode_cursor, page
from shared.schemas import Input, PageInput
from shared.tenancy import schema_for, validate_slug


class CreateThing(Input):
    name = fields.String(required=True)


def test_unknown_fields_are_refused():
    with pytest.raises(ValidationError) as error:
        load(CreateThing(), {"name": "a", "colour": "red"})
    assert "colour" in error.value.fields


@pytest.mark.parametrize("field", ["id", "tenant", "status", "created_by", "created_at"])
def test_server_owned_fields_are_refused_by_name(field):
    with pytest.raises(ValidationError) as error:
        load(CreateThing(), {"name": "a", field: "x"})
    assert error.value.fields[field] == ["is set by the server"]


def test_payload_must_be_an_object():
    with pytest.raises(ValidationError):
        load(CreateThing(), ["name"])


def test_page_limits():
    assert PageInput().load({})["limit"] == 50
    with pytest.raises(marshmallow.ValidationError):
        PageInput().load({"limit": 201})


def test_cursor_round_trip_and_garbage():
    assert decode_cursor(encode_cursor(["b", 3]), 2) == ["b", 3]
    for bad in ("%%%", encode_cursor([1]), "eyJ4IjoxfQ"):
        with pytest.raises(ValidationError):
            decode_cursor(bad, 2)


def test_page_reports_next_cursor_only_when_more_rows_exist():
    rows = [1, 2, 3]
    assert page(rows, 2, lambda r: [r], str) == {"items": ["1", "2"], "next_cursor": encode_cursor([2])}
    assert page(rows, 3, lambda r: [r], str)["next_cursor"] is None


def test_envelope_fields_cannot_be_overridden():
    event = envelope("node_created", "tongling", {"name": "x"})
    assert {"event_id", "event_type", "tenant", "occurred_at", "version", "name"} <= set(event)
    with pytest.raises(ValueError):
        envelope("node_created", "tongling", {"tenant": "huayin"})


@pytest.mark.parametrize("slug", ["tongling", "huzhou-wuxing", "a1"])
def test_valid_slugs_map_to_schemas(slug):
    assert schema_for(slug) == "t_" + slug.replace("-", "_")


@pytest.mark.parametrize("slug", ["", "T", "1abc", "a", "with_underscore", "x" * 42, "a;drop", None])
def test_invalid_slugs(slug):
    with pytest.raises(ValidationError):
        validate_slug(slug)


def test_error_details_keep_their_types_across_the_wire():
    from nameko.exceptions import deserialize, serialize

    from shared.errors import Conflict

    error = deserialize(serialize(Conflict("taken", {"count": 1, "free": None, "ok": False})))
    assert isinstance(error, Conflict)
    assert error.message == "taken"
    assert error.details == {"count": 1, "free": None, "ok": False}
