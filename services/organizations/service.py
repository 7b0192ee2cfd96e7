"""The organizations service: territory tree, party organisations, resident units, alliances,
co-building agreements, whistle-and-report, cases, consultations and statistics.

Entry points only: each loads its payload (decorator), calls a handler, dumps the result.
"""

from nameko.timer import timer

from services.organizations import schemas
from services.organizations.handlers import (
    agreements,
    alliances,
    cases,
    consultations,
    imports,
    party,
    personal,
    rules,
    scorecards,
    statistics,
    sweeps,
    territory,
    units,
    whistles,
)
from shared.endpoints import command, query
from shared.personal_data import PersonalDataHooks
from shared.rpc import rpc
from shared.service import GongjianService
from shared.sweeps import for_each_tenant

NODE = schemas.Node()
SWEEP_INTERVAL_SECONDS = 60


class OrganizationsService(GongjianService):
    name = "organizations"
    personal_data = PersonalDataHooks(export=personal.export_person, erase=personal.erase_person)

    # -- deadlines --------------------------------------------------------------------------

    @timer(interval=SWEEP_INTERVAL_SECONDS)
    def sweep_deadlines(self):
        """Every minute, for every active tenant: escalate missed whistle deadlines and overdue
        cases, mark overdue commitments (see handlers/sweeps.py)."""
        for_each_tenant(self, sweeps.run)

    @rpc
    @query(tenant=False)  # each tenant's sweep commits in its own transaction as the system
    def run_sweeps(self, scope):
        """The timer's sweep on demand: a tenant admin sweeps their tenant (the context tenant);
        a platform operator the context tenant, or every active tenant when none is given."""
        return sweeps.report(for_each_tenant(self, sweeps.run, sweeps.tenants_to_sweep(scope)))

    # -- territory --------------------------------------------------------------------------

    @rpc
    @command(schemas.CreateNode())
    def create_node(self, scope, data):
        return NODE.dump(territory.create_node(scope, data))

    @rpc
    @query()
    def get_node(self, scope, node_id):
        return territory.get_node(scope, node_id)

    @rpc
    @query(schemas.ListNodes())
    def list_nodes(self, scope, payload=None):
        return territory.list_nodes(scope, payload)

    @rpc
    @command(schemas.ImportFile())
    def import_nodes(self, scope, data):
        """Bulk import of the tree (CSV/XLSX or rows): all or nothing, idempotent."""
        return imports.import_nodes(scope, data)

    @rpc
    @command(schemas.UpdateNode())
    def update_node(self, scope, data):
        return NODE.dump(territory.update_node(scope, data))

    @rpc
    @command(schemas.MoveNode())
    def move_node(self, scope, data):
        return NODE.dump(territory.move_node(scope, data))

    @rpc
    @command(schemas.NodeRef())
    def archive_node(self, scope, data):
        return NODE.dump(territory.archive_node(scope, data))

    # -- resident units and report-ins ------------------------------------------------------

    @rpc
    @command(schemas.RegisterUnit())
    def register_unit(self, scope, data):
        return units.register_unit(scope, data)

    @rpc
    @query()
    def get_unit(self, scope, unit_id):
        return units.get_unit(scope, unit_id)

    @rpc
    @query(schemas.ListUnits())
    def list_units(self, scope, payload=None):
        return units.list_units(scope, payload)

    @rpc
    @command(schemas.UpdateUnit())
    def update_unit(self, scope, data):
        return units.update_unit(scope, data)

    @rpc
    @command(schemas.ImportFile())
    def import_units(self, scope, data):
        """Bulk import of units (and their confirmed report-ins): all or nothing, idempotent."""
        return imports.import_units(scope, data)

    @rpc
    @command(schemas.RequestReportIn())
    def request_report_in(self, scope, data):
        return units.request_report_in(scope, data)

    @rpc
    @command(schemas.ReportInDecision())
    def confirm_report_in(self, scope, data):
        return units.confirm_report_in(scope, data)

    @rpc
    @command(schemas.ReportInDecision())
    def reject_report_in(self, scope, data):
        return units.reject_report_in(scope, data)

    @rpc
    @command(schemas.ReportInDecision())
    def withdraw_report_in(self, scope, data):
        return units.withdraw_report_in(scope, data)

    @rpc
    @query(schemas.ListReportIns())
    def list_report_ins(self, scope, payload=None):
        return units.list_report_ins(scope, payload)

    # -- party organisations ----------------------------------------------------------------

    @rpc
    @command(schemas.CreatePartyOrg())
    def create_party_org(self, scope, data):
        return party.create_party_org(scope, data)

    @rpc
    @query()
    def get_party_org(self, scope, party_org_id):
        return party.get_party_org(scope, party_org_id)

    @rpc
    @query(schemas.ListPartyOrgs())
    def list_party_orgs(self, scope, payload=None):
        return party.list_party_orgs(scope, payload)

    @rpc
    @command(schemas.UpdatePartyOrg())
    def update_party_org(self, scope, data):
        return party.update_party_org(scope, data)

    @rpc
    @command(schemas.PartyOrgRef())
    def dissolve_party_org(self, scope, data):
        return party.dissolve_party_org(scope, data)

    @rpc
    @command(schemas.SeatMember())
    def seat_member(self, scope, data):
        return party.seat_member(scope, data)

    @rpc
    @command(schemas.UnseatMember())
    def unseat_member(self, scope, data):
        return party.unseat_member(scope, data)

    # -- alliances and pairings -------------------------------------------------------------

    @rpc
    @command(schemas.CreateAlliance())
    def create_alliance(self, scope, data):
        return alliances.create_alliance(scope, data)

    @rpc
    @query()
    def get_alliance(self, scope, alliance_id):
        return alliances.get_alliance(scope, alliance_id)

    @rpc
    @query(schemas.ListAlliances())
    def list_alliances(self, scope, payload=None):
        return alliances.list_alliances(scope, payload)

    @rpc
    @command(schemas.AllianceMemberInput())
    def add_alliance_member(self, scope, data):
        return alliances.add_alliance_member(scope, data)

    @rpc
    @command(schemas.UpdateAllianceMember())
    def update_alliance_member(self, scope, data):
        return alliances.update_alliance_member(scope, data)

    @rpc
    @command(schemas.RemoveAllianceMember())
    def remove_alliance_member(self, scope, data):
        return alliances.remove_alliance_member(scope, data)

    @rpc
    @command(schemas.RecordActivityDay())
    def record_activity_day(self, scope, data):
        return alliances.record_activity_day(scope, data)

    @rpc
    @query(schemas.ListActivityDays())
    def list_activity_days(self, scope, payload):
        return alliances.list_activity_days(scope, payload)

    @rpc
    @command(schemas.CreatePairing())
    def create_pairing(self, scope, data):
        return alliances.create_pairing(scope, data)

    @rpc
    @command(schemas.EndPairing())
    def end_pairing(self, scope, data):
        return alliances.end_pairing(scope, data)

    @rpc
    @query(schemas.ListPairings())
    def list_pairings(self, scope, payload=None):
        return alliances.list_pairings(scope, payload)

    # -- needs and co-building agreements ---------------------------------------------------

    @rpc
    @command(schemas.CreateNeed())
    def create_need(self, scope, data):
        return agreements.create_need(scope, data)

    @rpc
    @command(schemas.CloseNeed())
    def close_need(self, scope, data):
        return agreements.close_need(scope, data)

    @rpc
    @query(schemas.ListNeeds())
    def list_needs(self, scope, payload=None):
        return agreements.list_needs(scope, payload)

    @rpc
    @command(schemas.CreateAgreement())
    def create_agreement(self, scope, data):
        return agreements.create_agreement(scope, data)

    @rpc
    @query()
    def get_agreement(self, scope, agreement_id):
        return agreements.get_agreement(scope, agreement_id)

    @rpc
    @query(schemas.ListAgreements())
    def list_agreements(self, scope, payload=None):
        return agreements.list_agreements(scope, payload)

    @rpc
    @command(schemas.UpdateAgreement())
    def update_agreement(self, scope, data):
        return agreements.update_agreement(scope, data)

    @rpc
    @command(schemas.AgreementRef())
    def sign_agreement(self, scope, data):
        return agreements.sign_agreement(scope, data)

    @rpc
    @command(schemas.TerminateAgreement())
    def terminate_agreement(self, scope, data):
        return agreements.terminate_agreement(scope, data)

    @rpc
    @command(schemas.AddCommitment())
    def add_commitment(self, scope, data):
        return agreements.add_commitment(scope, data)

    @rpc
    @command(schemas.FulfilCommitment())
    def fulfil_commitment(self, scope, data):
        return agreements.fulfil_commitment(scope, data)

    # -- whistle and report -----------------------------------------------------------------

    @rpc
    @query()
    def get_response_rules(self, scope):
        return rules.get_response_rules(scope)

    @rpc
    @command(schemas.SetResponseRules())
    def set_response_rules(self, scope, data):
        return rules.set_response_rules(scope, data)

    @rpc
    @command(schemas.RaiseWhistle())
    def raise_whistle(self, scope, data):
        return whistles.raise_whistle(scope, data)

    @rpc
    @command(schemas.SummonUnits())
    def summon_units(self, scope, data):
        return whistles.summon_units(scope, data)

    @rpc
    @command(schemas.WhistleStep())
    def acknowledge_whistle(self, scope, data):
        return whistles.respond(scope, data, "acknowledge")

    @rpc
    @command(schemas.WhistleStep())
    def arrive_whistle(self, scope, data):
        return whistles.respond(scope, data, "arrive")

    @rpc
    @command(schemas.WhistleStep())
    def resolve_whistle(self, scope, data):
        return whistles.respond(scope, data, "resolve")

    @rpc
    @command(schemas.CloseWhistle())
    def close_whistle(self, scope, data):
        return whistles.close_whistle(scope, data)

    @rpc
    @command(schemas.CancelWhistle())
    def cancel_whistle(self, scope, data):
        return whistles.cancel_whistle(scope, data)

    @rpc
    @command(schemas.RateWhistle())
    def rate_whistle(self, scope, data):
        return whistles.rate_whistle(scope, data)

    @rpc
    @query()
    def get_whistle(self, scope, whistle_id):
        return whistles.get_whistle(scope, whistle_id)

    @rpc
    @query(schemas.ListWhistles())
    def list_whistles(self, scope, payload=None):
        return whistles.list_whistles(scope, payload)

    @rpc
    @query(schemas.ScorecardQuery())
    def get_unit_scorecard(self, scope, payload):
        return scorecards.get_unit_scorecard(scope, payload)

    @rpc
    @query(schemas.RankingQuery())
    def get_alliance_ranking(self, scope, payload):
        return scorecards.get_alliance_ranking(scope, payload)

    # -- cases (Open311 fields), problem wall and echo wall ---------------------------------

    @rpc
    @query()
    def list_case_services(self, scope):
        return cases.list_case_services(scope)

    @rpc
    @command(schemas.ReportCase())
    def report_case(self, scope, data):
        return cases.report_case(scope, data)

    @rpc
    @query()
    def get_case(self, scope, case_id):
        return cases.get_case(scope, case_id)

    @rpc
    @query(schemas.ListCases())
    def list_cases(self, scope, payload=None):
        return cases.list_cases(scope, payload)

    @rpc
    @query(schemas.CaseWall())
    def list_case_wall(self, scope, payload):
        return cases.list_case_wall(scope, payload)

    @rpc
    @command(schemas.AcceptCase())
    def accept_case(self, scope, data):
        return cases.accept_case(scope, data)

    @rpc
    @command(schemas.RejectCase())
    def reject_case(self, scope, data):
        return cases.reject_case(scope, data)

    @rpc
    @command(schemas.DispatchCase())
    def dispatch_case(self, scope, data):
        return cases.dispatch_case(scope, data)

    @rpc
    @command(schemas.CaseRef())
    def handle_case(self, scope, data):
        return cases.handle_case(scope, data)

    @rpc
    @command(schemas.ReplyCase())
    def reply_case(self, scope, data):
        return cases.reply_case(scope, data)

    @rpc
    @command(schemas.RateCase())
    def rate_case(self, scope, data):
        return cases.rate_case(scope, data)

    @rpc
    @command(schemas.CaseRef())
    def close_case(self, scope, data):
        return cases.close_case(scope, data)

    @rpc
    @command(schemas.EscalateCase())
    def escalate_case(self, scope, data):
        return cases.escalate_case(scope, data)

    # -- consultations ----------------------------------------------------------------------

    @rpc
    @command(schemas.RecordConsultation())
    def record_consultation(self, scope, data):
        return consultations.record_consultation(scope, data)

    @rpc
    @query()
    def get_consultation(self, scope, consultation_id):
        return consultations.get_consultation(scope, consultation_id)

    @rpc
    @query(schemas.ListConsultations())
    def list_consultations(self, scope, payload=None):
        return consultations.list_consultations(scope, payload)

    # -- statistics -------------------------------------------------------------------------

    @rpc
    @query(schemas.StatisticsQuery())
    def get_statistics(self, scope, payload):
        return statistics.get_statistics(scope, payload)
