"""Payloads, results and event data of the organizations service.

Inputs derive from ``shared.schemas.Input`` (unknown and server-owned fields are refused);
results and event data are dumped with ``Output`` schemas so every RPC answers JSON.
"""

from marshmallow import fields, validate

from services.organizations import domain
from shared.schemas import Input, LatLng, Output, PageInput


def value(obj, key, default=None):
    if isinstance(obj, dict):
        return obj.get(key, default)
    return getattr(obj, key, default)


def location_of(obj):
    lat, lng = value(obj, "lat"), value(obj, "lng")
    return None if lat is None else {"lat": lat, "lng": lng}


class Text(fields.String):
    """A string with surrounding blanks removed; ``blank=False`` refuses an empty result."""

    def __init__(self, *args, blank=False, max_length=100, **kwargs):
        checks = [validate.Length(max=max_length)]
        if not blank:
            checks.append(validate.Length(min=1, error="may not be blank"))
        super().__init__(*args, validate=checks, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).strip()


def Code(**kwargs):  # noqa: N802 - a field factory reads like a field class
    return fields.String(validate=validate.Regexp(
        domain.NODE_CODE, error="1-40 letters, digits, '.', '_' or '-', starting with a letter or digit"),
        **kwargs)


def Location(**kwargs):  # noqa: N802
    return fields.Nested(LatLng, allow_none=True, **kwargs)


def LocationOut():  # noqa: N802
    return fields.Function(location_of)


def Time(**kwargs):  # noqa: N802
    return fields.DateTime(format="iso", **kwargs)


def Id(**kwargs):  # noqa: N802
    return fields.UUID(**kwargs)


def Status():  # noqa: N802
    return fields.Function(lambda obj: value(obj, "status"))


# -- territory ------------------------------------------------------------------------------


class CreateNode(Input):
    kind = fields.String(required=True, validate=validate.OneOf(domain.NODE_KINDS))
    name = Text(required=True)
    parent_id = Id(load_default=None, allow_none=True)
    code = Code(load_default=None, allow_none=True)
    location = Location(load_default=None)
    population = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=0))
    households = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=0))


class UpdateNode(Input):
    """Rename or correct a node; absent fields stay, ``null`` clears code/location/figures."""

    node_id = Id(required=True)
    name = Text()
    code = Code(allow_none=True)
    location = Location()
    population = fields.Integer(allow_none=True, validate=validate.Range(min=0))
    households = fields.Integer(allow_none=True, validate=validate.Range(min=0))


class MoveNode(Input):
    node_id = Id(required=True)
    new_parent_id = Id(required=True)


class NodeRef(Input):
    node_id = Id(required=True)


class ListNodes(PageInput):
    parent_id = Id(load_default=None, allow_none=True)
    kind = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(domain.NODE_KINDS))
    subtree = Id(load_default=None, allow_none=True)  # a node id: everything below it
    text = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 100))
    top_level = fields.Boolean(load_default=False)  # only streets (parent_id null)
    include_archived = fields.Boolean(load_default=False)


class Node(Output):
    id = fields.String()
    kind = fields.String()
    name = fields.String()
    code = fields.String(allow_none=True)
    parent_id = fields.String(allow_none=True)
    path = fields.String()
    location = LocationOut()
    population = fields.Integer(allow_none=True)
    households = fields.Integer(allow_none=True)
    archived = fields.Boolean()
    archived_at = Time(allow_none=True)
    created_at = Time()
    updated_at = Time()


class NodeBrief(Output):
    id = fields.String()
    kind = fields.String()
    name = fields.String()
    code = fields.String(allow_none=True)
    path = fields.String()


class NodeDetail(Node):
    ancestors = fields.List(fields.Nested(NodeBrief))


class NodeEvent(Output):
    """node_created / node_updated."""

    node_id = fields.String(attribute="id")
    kind = fields.String()
    name = fields.String()
    code = fields.String(allow_none=True)
    parent_id = fields.String(allow_none=True)
    path = fields.String()
    location = LocationOut()
    population = fields.Integer(allow_none=True)
    households = fields.Integer(allow_none=True)


class NodeMoved(Output):
    node_id = fields.String()
    parent_id = fields.String()
    old_path = fields.String()
    path = fields.String()


class NodeArchived(Output):
    node_id = fields.String(attribute="id")
    path = fields.String()
