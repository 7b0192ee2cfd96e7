"""Payloads, results and event data of the organizations service.

Inputs derive from ``shared.schemas.Input`` (unknown and server-owned fields are refused);
results and event data are dumped with ``Output`` schemas so every RPC answers JSON.
"""

from marshmallow import ValidationError, fields, validate, validates_schema

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


class CreditCode(fields.String):
    """A unified social credit code (GB 32100-2015): normalised to upper case, check digit verified."""

    def _deserialize(self, value, attr, data, **kwargs):
        code = domain.normalize_credit_code(super()._deserialize(value, attr, data, **kwargs))
        problem = domain.credit_code_problem(code)
        if problem:
            raise ValidationError(f"not a valid unified social credit code: {problem}")
        return code


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


# -- resident units -------------------------------------------------------------------------


class RegisterUnit(Input):
    name = Text(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(domain.UNIT_KINDS))
    credit_code = CreditCode(required=True)
    address = Text(load_default=None, allow_none=True, max_length=200)
    contact_name = Text(load_default=None, allow_none=True, max_length=50)
    contact_phone = Text(load_default=None, allow_none=True, max_length=30)
    location = Location(load_default=None)


class UpdateUnit(Input):
    unit_id = Id(required=True)
    name = Text()
    kind = fields.String(validate=validate.OneOf(domain.UNIT_KINDS))
    address = Text(allow_none=True, max_length=200)
    contact_name = Text(allow_none=True, max_length=50)
    contact_phone = Text(allow_none=True, max_length=30)
    location = Location()


class ListUnits(PageInput):
    text = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 100))
    kind = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(domain.UNIT_KINDS))
    community_id = Id(load_default=None, allow_none=True)  # units confirmed in this community
    credit_code = fields.String(load_default=None, allow_none=True)


class RequestReportIn(Input):
    unit_id = Id(required=True)
    community_id = Id(required=True)
    note = Text(load_default=None, allow_none=True, max_length=500)


class ReportInDecision(Input):
    report_id = Id(required=True)
    note = Text(load_default=None, allow_none=True, max_length=500)


class ListReportIns(PageInput):
    community_id = Id(load_default=None, allow_none=True)
    unit_id = Id(load_default=None, allow_none=True)
    status = fields.String(load_default=None, allow_none=True,
                           validate=validate.OneOf(sorted(domain.REPORT_IN.states())))


class CommunityBrief(Output):
    community_id = fields.String()
    name = fields.String()
    path = fields.String()


class UnitPublic(Output):
    """What anyone in the tenant (residents too) sees of a unit."""

    id = fields.String()
    name = fields.String()
    kind = fields.String()
    credit_code = fields.String()
    address = fields.String(allow_none=True)
    location = LocationOut()
    archived = fields.Boolean()
    communities = fields.List(fields.Nested(CommunityBrief))


class Unit(UnitPublic):
    """Staff and the unit's own liaison also see the contact."""

    contact_name = fields.String(allow_none=True)
    contact_phone = fields.String(allow_none=True)
    created_by = fields.String()
    created_at = Time()
    updated_at = Time()


class ReportIn(Output):
    id = fields.String()
    unit_id = fields.String()
    unit_name = fields.String()
    community_id = fields.String()
    community_name = fields.String()
    community_path = fields.String()
    status = fields.String()
    note = fields.String(allow_none=True)
    decision_note = fields.String(allow_none=True)
    requested_by = fields.String()
    requested_at = Time()
    decided_by = fields.String(allow_none=True)
    decided_at = Time(allow_none=True)
    withdrawn_at = Time(allow_none=True)


class UnitEvent(Output):
    """unit_registered / unit_updated."""

    unit_id = fields.String(attribute="id")
    name = fields.String()
    kind = fields.String()
    credit_code = fields.String()


class UnitReportEvent(Output):
    """unit_report_in_requested / unit_reported_in / unit_report_in_rejected /
    unit_report_in_withdrawn."""

    report_id = fields.String()
    unit_id = fields.String()
    name = fields.String()
    kind = fields.String()
    credit_code = fields.String()
    community_id = fields.String()
    community_path = fields.String()
    status = fields.String()


# -- party organisations --------------------------------------------------------------------


class CreatePartyOrg(Input):
    kind = fields.String(required=True, validate=validate.OneOf(domain.PARTY_ORG_KINDS))
    name = Text(required=True)
    node_id = Id(required=True)
    parent_id = Id(load_default=None, allow_none=True)
    branch_type = fields.String(load_default=None, allow_none=True,
                                validate=validate.OneOf(domain.BRANCH_TYPES))
    unit_id = Id(load_default=None, allow_none=True)
    big_committee = fields.Boolean(load_default=False)  # 大党委 / 大工委
    founded_on = fields.Date(load_default=None, allow_none=True)


class UpdatePartyOrg(Input):
    party_org_id = Id(required=True)
    name = Text()
    big_committee = fields.Boolean()
    founded_on = fields.Date(allow_none=True)


class PartyOrgRef(Input):
    party_org_id = Id(required=True)


class ListPartyOrgs(PageInput):
    node_id = Id(load_default=None, allow_none=True)
    subtree = Id(load_default=None, allow_none=True)
    parent_id = Id(load_default=None, allow_none=True)
    kind = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(domain.PARTY_ORG_KINDS))
    include_dissolved = fields.Boolean(load_default=False)


class SeatMember(Input):
    party_org_id = Id(required=True)
    person_name = Text(required=True, max_length=50)
    role = fields.String(required=True, validate=validate.OneOf(domain.SEAT_ROLES))
    unit_id = Id(load_default=None, allow_none=True)
    title = Text(load_default=None, allow_none=True)
    started_on = fields.Date(load_default=None, allow_none=True)


class UnseatMember(Input):
    seat_id = Id(required=True)
    ended_on = fields.Date(load_default=None, allow_none=True)


class Seat(Output):
    seat_id = fields.String(attribute="id")
    person_name = fields.String()
    role = fields.String()
    unit_id = fields.String(allow_none=True)
    unit_name = fields.String(allow_none=True)
    title = fields.String(allow_none=True)
    started_on = fields.Date()
    ended_on = fields.Date(allow_none=True)


class PartyOrg(Output):
    id = fields.String()
    kind = fields.String()
    name = fields.String()
    node_id = fields.String()
    node_name = fields.String()
    node_path = fields.String()
    parent_id = fields.String(allow_none=True)
    branch_type = fields.String(allow_none=True)
    unit_id = fields.String(allow_none=True)
    big_committee = fields.Boolean()
    founded_on = fields.Date(allow_none=True)
    status = fields.String()
    dissolved_at = Time(allow_none=True)
    created_at = Time()
    seats = fields.List(fields.Nested(Seat))


class PartyOrgEvent(Output):
    """party_org_created / party_org_updated / party_org_dissolved."""

    party_org_id = fields.String()
    kind = fields.String()
    name = fields.String()
    node_id = fields.String()
    node_path = fields.String()
    parent_id = fields.String(allow_none=True)
    branch_type = fields.String(allow_none=True)
    unit_id = fields.String(allow_none=True)
    status = fields.String()


class SeatEvent(Output):
    """party_org_member_seated / party_org_member_unseated."""

    party_org_id = fields.String()
    seat_id = fields.String()
    role = fields.String()
    person_name = fields.String()
    unit_id = fields.String(allow_none=True)
    node_path = fields.String()


# -- alliances and pairings -----------------------------------------------------------------


class CreateAlliance(Input):
    community_id = Id(required=True)
    name = Text(required=True)
    founded_on = fields.Date(load_default=None, allow_none=True)
    activity_day = Text(load_default=None, allow_none=True)  # e.g. 每月第一个周五


class AllianceRef(Input):
    alliance_id = Id(required=True)


class ListAlliances(PageInput):
    community_id = Id(load_default=None, allow_none=True)
    subtree = Id(load_default=None, allow_none=True)


class AllianceMemberInput(Input):
    alliance_id = Id(required=True)
    unit_id = Id(required=True)
    council_role = fields.String(load_default=None, allow_none=True,
                                 validate=validate.OneOf(domain.COUNCIL_ROLES))
    liaison_name = Text(load_default=None, allow_none=True, max_length=50)
    liaison_phone = Text(load_default=None, allow_none=True, max_length=30)
    joined_on = fields.Date(load_default=None, allow_none=True)


class UpdateAllianceMember(Input):
    alliance_id = Id(required=True)
    unit_id = Id(required=True)
    council_role = fields.String(allow_none=True, validate=validate.OneOf(domain.COUNCIL_ROLES))
    liaison_name = Text(allow_none=True, max_length=50)
    liaison_phone = Text(allow_none=True, max_length=30)


class RemoveAllianceMember(Input):
    alliance_id = Id(required=True)
    unit_id = Id(required=True)
    left_on = fields.Date(load_default=None, allow_none=True)


class RecordActivityDay(Input):
    alliance_id = Id(required=True)
    held_on = fields.Date(required=True)
    title = Text(required=True)
    host_unit_id = Id(load_default=None, allow_none=True)
    description = Text(load_default=None, allow_none=True, max_length=2000)
    participants = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=0))


class ListActivityDays(PageInput):
    alliance_id = Id(required=True)


class AllianceMember(Output):
    unit_id = fields.String()
    unit_name = fields.String()
    unit_kind = fields.String()
    council_role = fields.String(allow_none=True)
    liaison_name = fields.String(allow_none=True)
    liaison_phone = fields.String(allow_none=True)
    joined_on = fields.Date()
    left_on = fields.Date(allow_none=True)


class Alliance(Output):
    id = fields.String()
    community_id = fields.String()
    community_name = fields.String()
    community_path = fields.String()
    name = fields.String()
    founded_on = fields.Date()
    activity_day = fields.String(allow_none=True)
    status = fields.String()
    member_count = fields.Integer()
    members = fields.List(fields.Nested(AllianceMember))


class ActivityDay(Output):
    id = fields.String()
    alliance_id = fields.String()
    held_on = fields.Date()
    title = fields.String()
    host_unit_id = fields.String(allow_none=True)
    description = fields.String(allow_none=True)
    participants = fields.Integer(allow_none=True)


class AllianceEvent(Output):
    """alliance_created / alliance_member_joined / alliance_member_updated / alliance_member_left."""

    alliance_id = fields.String()
    community_id = fields.String()
    community_path = fields.String()
    name = fields.String()
    unit_id = fields.String(allow_none=True)
    council_role = fields.String(allow_none=True)


class CreatePairing(Input):
    unit_id = Id(required=True)
    community_id = Id(required=True)
    started_on = fields.Date(load_default=None, allow_none=True)
    note = Text(load_default=None, allow_none=True, max_length=500)


class EndPairing(Input):
    pairing_id = Id(required=True)
    ended_on = fields.Date(load_default=None, allow_none=True)


class ListPairings(PageInput):
    community_id = Id(load_default=None, allow_none=True)
    unit_id = Id(load_default=None, allow_none=True)
    subtree = Id(load_default=None, allow_none=True)
    include_ended = fields.Boolean(load_default=False)


class Pairing(Output):
    id = fields.String()
    unit_id = fields.String()
    unit_name = fields.String()
    community_id = fields.String()
    community_name = fields.String()
    community_path = fields.String()
    started_on = fields.Date()
    ended_on = fields.Date(allow_none=True)
    note = fields.String(allow_none=True)
    status = fields.String()


class PairingEvent(Output):
    """pairing_created / pairing_ended."""

    pairing_id = fields.String()
    unit_id = fields.String()
    community_id = fields.String()
    community_path = fields.String()
    status = fields.String()


# -- needs, agreements, commitments ---------------------------------------------------------


class CreateNeed(Input):
    community_id = Id(required=True)
    title = Text(required=True)
    category = fields.String(required=True, validate=validate.OneOf(domain.NEED_CATEGORIES))
    description = Text(load_default=None, allow_none=True, max_length=2000)


class CloseNeed(Input):
    need_id = Id(required=True)
    outcome = fields.String(required=True, validate=validate.OneOf(("met", "withdrawn")))


class ListNeeds(PageInput):
    community_id = Id(load_default=None, allow_none=True)
    subtree = Id(load_default=None, allow_none=True)
    status = fields.String(load_default=None, allow_none=True,
                           validate=validate.OneOf(sorted(domain.NEED.states())))


class Need(Output):
    id = fields.String()
    community_id = fields.String()
    title = fields.String()
    category = fields.String()
    description = fields.String(allow_none=True)
    status = fields.String()
    created_at = Time()
    closed_at = Time(allow_none=True)


class Window(Input):
    weekday = fields.Integer(required=True, validate=validate.Range(1, 7))  # ISO: Monday = 1
    start = fields.String(required=True)  # "HH:MM"
    end = fields.String(required=True)

    @validates_schema
    def check(self, data, **kwargs):
        problem = domain.window_problem(data)
        if problem:
            raise ValidationError(problem)


class ResourceInput(Input):
    resource_id = Id(load_default=None, allow_none=True)  # keep an existing resource (updates)
    kind = fields.String(required=True, validate=validate.OneOf(domain.RESOURCE_KINDS))
    name = Text(required=True)
    quantity = fields.Integer(load_default=1, validate=validate.Range(min=1))
    description = Text(load_default=None, allow_none=True, max_length=1000)
    windows = fields.List(fields.Nested(Window), load_default=list, validate=validate.Length(max=50))

    @validates_schema
    def check(self, data, **kwargs):
        if data["windows"] and data["kind"] not in domain.LENDABLE_RESOURCES:
            raise ValidationError("only spaces and parking have lending windows", "windows")
        clash = domain.windows_overlap(data["windows"])
        if clash:
            raise ValidationError(f"windows overlap on weekday {clash[0]['weekday']}", "windows")


class CommitmentInput(Input):
    description = Text(required=True, max_length=500)
    due_on = fields.Date(required=True)
    need_id = Id(load_default=None, allow_none=True)
    resource_index = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=0))
    project_ref = Text(load_default=None, allow_none=True)


class CreateAgreement(Input):
    unit_id = Id(required=True)
    community_id = Id(required=True)
    title = Text(required=True)
    valid_from = fields.Date(required=True)
    valid_until = fields.Date(load_default=None, allow_none=True)
    resources = fields.List(fields.Nested(ResourceInput), load_default=list, validate=validate.Length(max=100))
    commitments = fields.List(fields.Nested(CommitmentInput), load_default=list,
                              validate=validate.Length(max=200))

    @validates_schema
    def check(self, data, **kwargs):
        if data.get("valid_until") and data["valid_until"] < data["valid_from"]:
            raise ValidationError("must not be before valid_from", "valid_until")
        for commitment in data.get("commitments", []):
            if commitment["resource_index"] is not None and commitment["resource_index"] >= len(
                    data.get("resources", [])):
                raise ValidationError("resource_index points past the resources list", "commitments")


class UpdateAgreement(Input):
    """Change a draft or signed agreement. ``resources`` replaces the list: items with a
    ``resource_id`` keep that id (bookings refer to it), items without one are new, missing
    ones are removed."""

    agreement_id = Id(required=True)
    title = Text()
    valid_from = fields.Date()
    valid_until = fields.Date(allow_none=True)
    resources = fields.List(fields.Nested(ResourceInput), validate=validate.Length(max=100))


class AgreementRef(Input):
    agreement_id = Id(required=True)


class TerminateAgreement(Input):
    agreement_id = Id(required=True)
    reason = Text(required=True, max_length=500)


class AddCommitment(Input):
    agreement_id = Id(required=True)
    description = Text(required=True, max_length=500)
    due_on = fields.Date(required=True)
    need_id = Id(load_default=None, allow_none=True)
    resource_id = Id(load_default=None, allow_none=True)
    project_ref = Text(load_default=None, allow_none=True)


class FulfilCommitment(Input):
    commitment_id = Id(required=True)
    note = Text(load_default=None, allow_none=True, max_length=500)


class ListAgreements(PageInput):
    community_id = Id(load_default=None, allow_none=True)
    unit_id = Id(load_default=None, allow_none=True)
    subtree = Id(load_default=None, allow_none=True)
    status = fields.String(load_default=None, allow_none=True,
                           validate=validate.OneOf(sorted(domain.AGREEMENT.states())))


class WindowOut(Output):
    weekday = fields.Integer()
    start = fields.String()
    end = fields.String()


class Resource(Output):
    resource_id = fields.String(attribute="id")
    kind = fields.String()
    name = fields.String()
    quantity = fields.Integer()
    description = fields.String(allow_none=True)
    windows = fields.List(fields.Nested(WindowOut))


class Commitment(Output):
    commitment_id = fields.String(attribute="id")
    agreement_id = fields.String()
    description = fields.String()
    due_on = fields.Date()
    need_id = fields.String(allow_none=True)
    resource_id = fields.String(allow_none=True)
    project_ref = fields.String(allow_none=True)
    status = fields.String()
    state = fields.String()  # done / overdue / pending as of today
    done_at = Time(allow_none=True)
    done_note = fields.String(allow_none=True)
    overdue_at = Time(allow_none=True)


class Agreement(Output):
    id = fields.String()
    unit_id = fields.String()
    unit_name = fields.String()
    community_id = fields.String()
    community_name = fields.String()
    community_path = fields.String()
    title = fields.String()
    status = fields.String()
    valid_from = fields.Date()
    valid_until = fields.Date(allow_none=True)
    signed_at = Time(allow_none=True)
    signed_by = fields.String(allow_none=True)
    terminated_at = Time(allow_none=True)
    termination_reason = fields.String(allow_none=True)
    created_at = Time()
    updated_at = Time()
    resources = fields.List(fields.Nested(Resource))
    commitments = fields.List(fields.Nested(Commitment))
    fulfilment = fields.Dict()


class ResourceEvent(Output):
    resource_id = fields.String(attribute="id")
    kind = fields.String()
    name = fields.String()
    quantity = fields.Integer()
    windows = fields.List(fields.Nested(WindowOut))


class AgreementEvent(Output):
    """agreement_signed / agreement_updated / agreement_terminated."""

    agreement_id = fields.String(attribute="id")
    unit_id = fields.String()
    community_id = fields.String()
    community_path = fields.String()
    status = fields.String()
    valid_from = fields.Date()
    valid_until = fields.Date(allow_none=True)
    resources = fields.List(fields.Nested(ResourceEvent))


class CommitmentEvent(Output):
    """commitment_fulfilled / commitment_overdue."""

    commitment_id = fields.String(attribute="id")
    agreement_id = fields.String()
    unit_id = fields.String()
    community_id = fields.String()
    community_path = fields.String()
    due_on = fields.Date()
    status = fields.String()
    on_time = fields.Boolean(allow_none=True)


# -- whistle and report ---------------------------------------------------------------------

PhotoUrl = fields.Url(schemes={"http", "https"}, validate=validate.Length(max=500))


class RaiseWhistle(Input):
    node_id = Id(required=True)  # the community, or a grid/compound/building inside it
    title = Text(required=True)
    category = fields.String(required=True, validate=validate.OneOf(domain.WHISTLE_CATEGORIES))
    description = Text(required=True, max_length=4000)
    urgency = fields.String(load_default=domain.NORMAL, validate=validate.OneOf(domain.URGENCIES))
    location = Location(load_default=None)
    address = Text(load_default=None, allow_none=True, max_length=200)
    photos = fields.List(PhotoUrl, load_default=list, validate=validate.Length(max=9))
    unit_ids = fields.List(Id(), required=True, validate=validate.Length(1, 50))


class SummonUnits(Input):
    whistle_id = Id(required=True)
    unit_ids = fields.List(Id(), required=True, validate=validate.Length(1, 50))


class WhistleStep(Input):
    """acknowledge / arrive / resolve: ``unit_id`` may be left out by a unit liaison (their
    token names the unit); admins acting for a unit name it."""

    whistle_id = Id(required=True)
    unit_id = Id(load_default=None, allow_none=True)
    note = Text(load_default=None, allow_none=True, max_length=2000)


class CloseWhistle(Input):
    whistle_id = Id(required=True)
    note = Text(load_default=None, allow_none=True, max_length=2000)


class CancelWhistle(Input):
    whistle_id = Id(required=True)
    reason = Text(required=True, max_length=500)


class RateWhistle(Input):
    whistle_id = Id(required=True)
    score = fields.Integer(required=True, validate=validate.Range(1, 5))
    comment = Text(load_default=None, allow_none=True, max_length=500)
    unit_id = Id(load_default=None, allow_none=True)  # rate one unit's response; default: all


class ListWhistles(PageInput):
    community_id = Id(load_default=None, allow_none=True)
    subtree = Id(load_default=None, allow_none=True)
    unit_id = Id(load_default=None, allow_none=True)
    status = fields.String(load_default=None, allow_none=True,
                           validate=validate.OneOf(sorted(domain.WHISTLE.states())))
    urgency = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(domain.URGENCIES))
    min_escalation_level = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(0, 2))


class ScorecardQuery(Input):
    unit_id = Id(required=True)
    year = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(2000, 2100))


class RankingQuery(Input):
    alliance_id = Id(required=True)
    year = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(2000, 2100))


class WhistleResponse(Output):
    unit_id = fields.String()
    unit_name = fields.String()
    status = fields.String()
    summoned_at = Time()
    acknowledge_due = Time()
    arrive_due = Time()
    resolve_due = Time()
    acknowledged_at = Time(allow_none=True)
    arrived_at = Time(allow_none=True)
    resolved_at = Time(allow_none=True)
    missed = fields.List(fields.String())
    resolution = fields.String(allow_none=True)
    average_rating = fields.Float(allow_none=True)


class TimelineEntry(Output):
    at = Time()
    action = fields.String()
    unit_id = fields.String(allow_none=True)
    actor = fields.String()
    note = fields.String(allow_none=True)


class Whistle(Output):
    id = fields.String()
    community_id = fields.String()
    community_name = fields.String()
    community_path = fields.String()
    node_id = fields.String()
    node_path = fields.String()
    title = fields.String()
    category = fields.String()
    description = fields.String()
    address = fields.String(allow_none=True)
    location = LocationOut()
    photos = fields.List(fields.String())
    urgency = fields.String()
    status = fields.String()
    escalation_level = fields.Integer()
    escalation = fields.Function(lambda w: domain.LEVELS[value(w, "escalation_level")])
    escalated_at = Time(allow_none=True)
    case_id = fields.String(allow_none=True)
    raised_by = fields.String()
    raised_at = Time()
    resolved_at = Time(allow_none=True)
    closed_at = Time(allow_none=True)
    closing_note = fields.String(allow_none=True)
    cancelled_at = Time(allow_none=True)
    cancel_reason = fields.String(allow_none=True)
    responses = fields.List(fields.Nested(WhistleResponse))
    ratings = fields.Dict()
    timeline = fields.List(fields.Nested(TimelineEntry))


class WhistleEvent(Output):
    """whistle_raised / whistle_units_summoned / whistle_acknowledged / whistle_arrived /
    whistle_resolved / whistle_closed / whistle_cancelled / whistle_rated / whistle_overdue /
    whistle_escalated (fields not relevant to an event are null)."""

    whistle_id = fields.String()
    status = fields.String()
    urgency = fields.String()
    category = fields.String()
    community_id = fields.String()
    community_path = fields.String()
    node_id = fields.String()
    node_path = fields.String()
    unit_ids = fields.List(fields.String())  # the units summoned (all, for whistle-wide events)
    unit_id = fields.String(allow_none=True)  # the unit this event is about
    response_status = fields.String(allow_none=True)
    step = fields.String(allow_none=True)
    due_at = Time(allow_none=True)
    on_time = fields.Boolean(allow_none=True)
    escalation_level = fields.Integer()
    escalation = fields.String()
    score = fields.Integer(allow_none=True)
    case_id = fields.String(allow_none=True)
    deadlines = fields.Dict(allow_none=True)  # whistle_raised / whistle_units_summoned: step → ISO time
