"""Payloads, results and event data of the organizations service.

Inputs derive from ``shared.schemas.Input`` (unknown and server-owned fields are refused);
results and event data are dumped with ``Output`` schemas so every RPC answers JSON.
"""

from marshmallow import ValidationError, fields, validate, validates_schema

from services.organizations import domain
from shared.schemas import (
    Id,
    Input,
    LatLng,
    LocationOut,
    Output,
    PageInput,
    Text,
    Time,
    aware_datetime,
    value,
)


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


def Minutes():  # noqa: N802
    return fields.Integer(strict=True, validate=validate.Range(1, domain.MAX_LIMIT_MINUTES))


class StepMinutes(Input):
    acknowledge = Minutes()
    arrive = Minutes()
    resolve = Minutes()


class LevelMinutes(Input):
    community = Minutes()
    street = Minutes()
    district = Minutes()


class SetResponseRules(Input):
    """The limits to change, in minutes; what is left out keeps its current value."""

    whistle_deadlines = fields.Dict(keys=fields.String(validate=validate.OneOf(domain.URGENCIES)),
                                    values=fields.Nested(StepMinutes))
    case_sla = fields.Nested(LevelMinutes)

    @validates_schema
    def names_a_limit(self, data, **kwargs):
        if not any((data.get("whistle_deadlines") or {}).values()) and not data.get("case_sla"):
            raise ValidationError("name at least one limit to change", "_schema")


class ResponseRulesOut(Output):
    whistle_deadlines = fields.Dict()
    case_sla = fields.Dict()
    customised = fields.Boolean()
    updated_at = Time(allow_none=True)


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


# -- cases (Open311 field names) ------------------------------------------------------------


class Reporter(Input):
    name = Text(load_default=None, allow_none=True, max_length=50)
    phone = Text(load_default=None, allow_none=True, max_length=30)


class ReportCase(Input):
    service_code = fields.String(required=True, validate=validate.OneOf(sorted(domain.CASE_SERVICES)))
    description = Text(required=True, max_length=4000)
    node_id = Id(required=True)  # the community, or a grid/compound/building inside it
    address = Text(load_default=None, allow_none=True, max_length=200)
    lat = fields.Float(load_default=None, allow_none=True, validate=validate.Range(-90, 90))
    long = fields.Float(load_default=None, allow_none=True, validate=validate.Range(-180, 180))
    media_url = fields.Url(load_default=None, allow_none=True, schemes={"http", "https"},
                           validate=validate.Length(max=500))
    source = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(domain.CASE_SOURCES))
    external_id = Text(load_default=None, allow_none=True)  # the hotline's ticket number
    requested_datetime = aware_datetime(load_default=None, allow_none=True)
    public = fields.Boolean(load_default=True)  # may appear on the problem / echo wall
    reporter = fields.Nested(Reporter, load_default=None, allow_none=True)

    @validates_schema
    def both_coordinates(self, data, **kwargs):
        if (data.get("lat") is None) != (data.get("long") is None):
            raise ValidationError("give both lat and long, or neither", "lat")


class CaseRef(Input):
    case_id = Id(required=True)
    status_notes = Text(load_default=None, allow_none=True, max_length=2000)


class AcceptCase(CaseRef):
    expected_datetime = aware_datetime(load_default=None, allow_none=True)


class RejectCase(Input):
    case_id = Id(required=True)
    status_notes = Text(required=True, max_length=2000)


class DispatchTarget(Input):
    kind = fields.String(required=True, validate=validate.OneOf(("grid_worker", "party_org", "unit")))
    target = Text(required=True, max_length=200)  # the worker's user id, a party_org_id or a unit_id


class CaseWhistle(Input):
    title = Text(load_default=None, allow_none=True)
    category = fields.String(required=True, validate=validate.OneOf(domain.WHISTLE_CATEGORIES))
    urgency = fields.String(load_default=domain.NORMAL, validate=validate.OneOf(domain.URGENCIES))
    unit_ids = fields.List(Id(), required=True, validate=validate.Length(1, 50))


class DispatchCase(Input):
    case_id = Id(required=True)
    to = fields.Nested(DispatchTarget, load_default=None, allow_none=True)
    whistle = fields.Nested(CaseWhistle, load_default=None, allow_none=True)  # turn it into a whistle
    status_notes = Text(load_default=None, allow_none=True, max_length=2000)

    @validates_schema
    def one_target(self, data, **kwargs):
        if (data.get("to") is None) == (data.get("whistle") is None):
            raise ValidationError("dispatch either 'to' a worker, party organisation or unit, or as a 'whistle'",
                                  "to")


class ReplyCase(Input):
    case_id = Id(required=True)
    reply = Text(required=True, max_length=4000)
    status_notes = Text(load_default=None, allow_none=True, max_length=2000)


class RateCase(Input):
    case_id = Id(required=True)
    score = fields.Integer(required=True, validate=validate.Range(1, 5))
    comment = Text(load_default=None, allow_none=True, max_length=500)


class EscalateCase(Input):
    case_id = Id(required=True)
    reason = Text(required=True, max_length=2000)


class ListCases(PageInput):
    community_id = Id(load_default=None, allow_none=True)
    subtree = Id(load_default=None, allow_none=True)
    status = fields.String(load_default=None, allow_none=True,
                           validate=validate.OneOf(sorted(domain.CASE.states())))
    level = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(domain.LEVELS))
    service_code = fields.String(load_default=None, allow_none=True,
                                 validate=validate.OneOf(sorted(domain.CASE_SERVICES)))
    source = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(domain.CASE_SOURCES))
    external_id = fields.String(load_default=None, allow_none=True)
    mine = fields.Boolean(load_default=False)  # only cases the caller reported


class CaseWall(PageInput):
    """The public problem wall (问题墙: not yet answered) or echo wall (回音壁: answered)."""

    wall = fields.String(required=True, validate=validate.OneOf(("problem", "echo")))
    node_id = Id(required=True)  # a community or street (everything below it)


class CasePublic(Output):
    """Open311 service request fields (plus our level/round) — no personal data."""

    service_request_id = fields.Function(lambda c: str(value(c, "id")))
    id = fields.String()
    status = fields.String()
    open311_status = fields.Function(lambda c: domain.open311_status(value(c, "status")))
    status_notes = fields.String(allow_none=True)
    service_code = fields.String()
    service_name = fields.Function(lambda c: domain.CASE_SERVICES[value(c, "service_code")][0])
    description = fields.String()
    agency_responsible = fields.Function(lambda c: value(c, "level"))
    level = fields.String()
    round = fields.Function(lambda c: domain.LEVELS.index(value(c, "level")) + 1)
    requested_datetime = Time()
    updated_datetime = Time()
    expected_datetime = Time(allow_none=True)
    address = fields.String(allow_none=True)
    lat = fields.Float(allow_none=True)
    long = fields.Float(attribute="lng", allow_none=True)
    media_url = fields.String(allow_none=True)
    community_id = fields.String()
    community_name = fields.String()
    reply = fields.String(allow_none=True)
    replied_at = Time(allow_none=True)
    rating = fields.Integer(allow_none=True)


class CaseEntry(Output):
    at = Time()
    action = fields.String()
    from_status = fields.String(allow_none=True)
    to_status = fields.String()
    level = fields.String()
    actor = fields.String()
    note = fields.String(allow_none=True)


class Case(CasePublic):
    """Staff (and the reporter, for their own case) also see these."""

    node_id = fields.String()
    node_path = fields.String()
    community_path = fields.String()
    source = fields.String()
    external_id = fields.String(allow_none=True)
    public = fields.Boolean()
    accepted_at = Time(allow_none=True)
    dispatched_at = Time(allow_none=True)
    handled_at = Time(allow_none=True)
    rated_at = Time(allow_none=True)
    closed_at = Time(allow_none=True)
    escalated_at = Time(allow_none=True)
    dispatch_kind = fields.String(allow_none=True)
    dispatch_target = fields.String(allow_none=True)
    whistle_id = fields.String(allow_none=True)
    rating_comment = fields.String(allow_none=True)
    reporter = fields.Function(lambda c: {"name": value(c, "reporter_name"),
                                          "phone": value(c, "reporter_phone")})
    history = fields.List(fields.Nested(CaseEntry))


class CaseEvent(Output):
    """case_reported / case_accepted / case_rejected / case_dispatched / case_handled /
    case_replied / case_rated / case_closed / case_escalated / case_overdue."""

    case_id = fields.String(attribute="id")
    status = fields.String()
    level = fields.String()
    round = fields.Function(lambda c: domain.LEVELS.index(value(c, "level")) + 1)
    service_code = fields.String()
    source = fields.String()
    external_id = fields.String(allow_none=True)
    community_id = fields.String()
    community_path = fields.String()
    node_id = fields.String()
    node_path = fields.String()
    whistle_id = fields.String(allow_none=True)
    dispatch_kind = fields.String(allow_none=True)
    rating = fields.Integer(allow_none=True)
    expected_datetime = Time(allow_none=True)
    reason = fields.String(allow_none=True)


# -- consultations --------------------------------------------------------------------------


class Participant(Input):
    party = fields.String(required=True, validate=validate.OneOf(domain.PARTIES))
    name = Text(required=True, max_length=100)  # a person or the organisation they speak for
    unit_id = Id(load_default=None, allow_none=True)
    party_org_id = Id(load_default=None, allow_none=True)


class DecisionInput(Input):
    text = Text(required=True, max_length=2000)
    case_ids = fields.List(Id(), load_default=list, validate=validate.Length(max=50))
    resolves = fields.Boolean(load_default=False)  # the decision settles the linked cases


class RecordConsultation(Input):
    node_id = Id(required=True)  # the community, or a compound inside it
    title = Text(required=True)
    format = fields.String(required=True, validate=validate.OneOf(domain.CONSULTATION_FORMATS))
    held_at = aware_datetime(required=True)
    place = Text(load_default=None, allow_none=True, max_length=200)
    minutes = Text(load_default=None, allow_none=True, max_length=20000)
    participants = fields.List(fields.Nested(Participant), required=True, validate=validate.Length(1, 100))
    decisions = fields.List(fields.Nested(DecisionInput), load_default=list, validate=validate.Length(max=50))

    @validates_schema
    def four_parties(self, data, **kwargs):
        problem = domain.consultation_problem(data["format"], [p["party"] for p in data["participants"]])
        if problem:
            raise ValidationError(problem, "participants")


class ListConsultations(PageInput):
    community_id = Id(load_default=None, allow_none=True)
    subtree = Id(load_default=None, allow_none=True)
    case_id = Id(load_default=None, allow_none=True)


class DecisionOut(Output):
    decision_id = fields.String(attribute="id")
    text = fields.String()
    resolves = fields.Boolean()
    case_ids = fields.List(fields.String())


class ParticipantOut(Output):
    party = fields.String()
    name = fields.String()
    unit_id = fields.String(allow_none=True)
    party_org_id = fields.String(allow_none=True)


class Consultation(Output):
    id = fields.String()
    community_id = fields.String()
    community_name = fields.String()
    node_id = fields.String()
    node_path = fields.String()
    title = fields.String()
    format = fields.String()
    held_at = Time()
    place = fields.String(allow_none=True)
    minutes = fields.String(allow_none=True)
    participants = fields.List(fields.Nested(ParticipantOut))
    decisions = fields.List(fields.Nested(DecisionOut))
    recorded_by = fields.String()


class ConsultationEvent(Output):
    consultation_id = fields.String()
    community_id = fields.String()
    community_path = fields.String()
    node_id = fields.String()
    format = fields.String()
    held_at = Time()
    case_ids = fields.List(fields.String())
    resolved_case_ids = fields.List(fields.String())


# -- statistics -----------------------------------------------------------------------------


class StatisticsQuery(Input):
    node_id = Id(required=True)
    year = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(2000, 2100))


# -- bulk import ----------------------------------------------------------------------------


class ImportFile(Input):
    """Either ``rows`` (a list of objects keyed by column name, each may carry its ``line``) or
    a whole file: ``content`` (base64) with its ``format``."""

    rows = fields.List(fields.Raw(), load_default=None, allow_none=True, validate=validate.Length(max=100_000))
    content = fields.String(load_default=None, allow_none=True)
    format = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(("csv", "xlsx")))
    dry_run = fields.Boolean(load_default=False)  # check everything, write nothing

    @validates_schema
    def one_source(self, data, **kwargs):
        if (data.get("rows") is None) == (data.get("content") is None):
            raise ValidationError("give either rows or a file's content", "rows")
        if data.get("content") is not None and data.get("format") is None:
            raise ValidationError("say whether the file is csv or xlsx", "format")
