"""The venues service: service points on one map, rooms and bookings, service circles,
utilisation and emergency mode, over a local replica of organizations' territory, units and
co-building agreements.

Entry points only: each loads its payload (decorator), calls a handler, dumps the result.
"""

from nameko.dependency_providers import Config
from nameko.timer import timer

from services.venues import schemas
from services.venues.handlers import (
    bookings,
    emergency,
    mapping,
    personal,
    replica,
    rooms,
    series,
    stats,
    sweeps,
    venues,
    waitlist,
)
from services.venues.handlers.common import as_uuid, load
from services.venues.models import Node
from shared.endpoints import command, query
from shared.errors import Forbidden
from shared.events import on_event
from shared.personal_data import PersonalDataHooks
from shared.rpc import ServiceRpc, rpc
from shared.service import GongjianService
from shared.sweeps import for_each_tenant

SWEEP_INTERVAL_SECONDS = 30


class VenuesService(GongjianService):
    name = "venues"
    personal_data = PersonalDataHooks(export=personal.export_person, erase=personal.erase_person)
    config = Config()
    organizations = ServiceRpc("organizations")

    # -- venues ---------------------------------------------------------------------------------

    @rpc
    @command(schemas.CreateVenue())
    def create_venue(self, scope, data):
        return venues.create_venue(scope, data, fetch_node=self.organizations.get_node)

    @rpc
    @query()
    def get_venue(self, scope, venue_id):
        return venues.get_venue(scope, venue_id)

    @rpc
    @query(schemas.ListVenues())
    def list_venues(self, scope, payload=None):
        return venues.list_venues(scope, payload)

    @rpc
    @command(schemas.UpdateVenue())
    def update_venue(self, scope, data):
        return venues.update_venue(scope, data)

    @rpc
    @command(schemas.CloseVenue())
    def close_venue(self, scope, data):
        return venues.close_venue(scope, data)

    @rpc
    @command(schemas.VenueRef())
    def reopen_venue(self, scope, data):
        return venues.reopen_venue(scope, data)

    @rpc
    @command(schemas.SetStarRating())
    def set_star_rating(self, scope, data):
        return venues.set_star_rating(scope, data)

    @rpc
    @command(schemas.RecordFinances())
    def record_finances(self, scope, data):
        return venues.record_finances(scope, data)

    # -- rooms ----------------------------------------------------------------------------------

    @rpc
    @command(schemas.CreateRoom())
    def create_room(self, scope, data):
        return rooms.create_room(scope, data)

    @rpc
    @query()
    def get_room(self, scope, room_id):
        return rooms.get_room(scope, room_id)

    @rpc
    @query(schemas.ListRooms())
    def list_rooms(self, scope, payload):
        return rooms.list_rooms(scope, payload)

    @rpc
    @command(schemas.UpdateRoom())
    def update_room(self, scope, data):
        return rooms.update_room(scope, data)

    @rpc
    @command(schemas.RoomRef())
    def archive_room(self, scope, data):
        return rooms.archive_room(scope, data)

    @rpc
    @query(schemas.RoomSchedule())
    def get_room_schedule(self, scope, payload):
        return rooms.room_schedule(scope, payload)

    # -- bookings -------------------------------------------------------------------------------

    @rpc
    @command(schemas.CreateBooking())
    def create_booking(self, scope, data):
        return bookings.create_booking(scope, data)

    @rpc
    @query()
    def get_booking(self, scope, booking_id):
        return bookings.get_booking(scope, booking_id)

    @rpc
    @query(schemas.ListBookings())
    def list_bookings(self, scope, payload):
        return bookings.list_bookings(scope, payload)

    @rpc
    @command(schemas.BookingDecision())
    def approve_booking(self, scope, data):
        return bookings.approve_booking(scope, data)

    @rpc
    @command(schemas.BookingDecision())
    def reject_booking(self, scope, data):
        return bookings.reject_booking(scope, data)

    @rpc
    @command(schemas.CancelBooking())
    def cancel_booking(self, scope, data):
        return bookings.cancel_booking(scope, data)

    @rpc
    @command(schemas.CheckIn())
    def check_in(self, scope, data):
        return bookings.check_in(scope, data)

    @rpc
    @command(schemas.CompleteBooking())
    def complete_booking(self, scope, data):
        return bookings.complete_booking(scope, data)

    @rpc
    @command(schemas.RateBooking())
    def rate_booking(self, scope, data):
        return bookings.rate_booking(scope, data)

    @rpc
    @command(schemas.BookingRef())
    def accept_offer(self, scope, data):
        return waitlist.accept_offer(scope, data)

    @rpc
    @command(schemas.BookingRef())
    def decline_offer(self, scope, data):
        return waitlist.decline_offer(scope, data)

    # -- weekly series --------------------------------------------------------------------------

    @rpc
    @command(schemas.CreateSeries())
    def create_series(self, scope, data):
        return series.create_series(scope, data)

    @rpc
    @query()
    def get_series(self, scope, series_id):
        return series.get_series(scope, series_id)

    @rpc
    @command(schemas.ChangeOccurrence())
    def change_occurrence(self, scope, data):
        return series.change_occurrence(scope, data)

    @rpc
    @command(schemas.CancelSeries())
    def cancel_series(self, scope, data):
        return series.cancel_series(scope, data)

    # -- one map and service circles --------------------------------------------------------------

    @rpc
    @query(schemas.VenueMap())
    def venue_map(self, scope, payload=None):
        return mapping.venue_map(scope, payload)

    @rpc
    @query(schemas.Nearest())
    def nearest_venues(self, scope, payload):
        return mapping.nearest_venues(scope, payload)

    @rpc
    @query(schemas.Coverage())
    def service_circle_coverage(self, scope, payload=None):
        return mapping.service_circle_coverage(scope, payload)

    @rpc
    @query(schemas.Uncovered())
    def uncovered_compounds(self, scope, payload=None):
        return mapping.uncovered_compounds(scope, payload)

    # -- utilisation and satisfaction -------------------------------------------------------------

    @rpc
    @query(schemas.VenueStats())
    def venue_stats(self, scope, payload):
        return stats.venue_stats(scope, payload)

    # -- emergency mode -------------------------------------------------------------------------

    @rpc
    @command(schemas.ActivateEmergency())
    def activate_emergency(self, scope, data):
        return emergency.activate_emergency(scope, data)

    @rpc
    @command(schemas.ActivationRef())
    def deactivate_emergency(self, scope, data):
        return emergency.deactivate_emergency(scope, data)

    @rpc
    @command(schemas.SetEmergencyRole())
    def set_emergency_role(self, scope, data):
        return emergency.set_emergency_role(scope, data)

    @rpc
    @query()
    def get_emergency(self, scope, activation_id):
        return emergency.get_emergency(scope, activation_id)

    @rpc
    @query(schemas.ListEmergencies())
    def list_emergencies(self, scope, payload=None):
        return emergency.list_emergencies(scope, payload)

    # -- periodic work ----------------------------------------------------------------------------

    @timer(interval=SWEEP_INTERVAL_SECONDS)
    def sweep(self):
        """Every 30 s, for every active tenant: release no-shows, complete finished activities,
        expire unanswered requests and waitlist entries, lapse offers (handlers/sweeps.py).
        Config ``VENUES_TIMER_SWEEPS: false`` leaves it to ``run_sweeps`` (tests drive it with a
        frozen clock)."""
        if self.config.get("VENUES_TIMER_SWEEPS", True) in (False, "false", "0"):
            return
        for_each_tenant(self, sweeps.run)

    @rpc
    @query(tenant=False)  # each tenant's sweep commits in its own transaction as the system
    def run_sweeps(self, scope):
        """The timer's sweep on demand: a tenant admin sweeps their tenant (the context tenant);
        a platform operator the context tenant, or every active tenant when none is given."""
        caller = scope.caller
        if scope.data.get("tenant") or not caller.is_operator:
            if not caller.is_admin:
                raise Forbidden("tenant administrators and operators only", {"roles": sorted(caller.roles)})
            tenants = [scope.enter_tenant().slug]
        else:
            tenants = None
        results = for_each_tenant(self, sweeps.run, tenants)
        return {slug: ({"error": repr(result)} if isinstance(result, Exception) else result)
                for slug, result in results.items()}

    # -- the replica of organizations -------------------------------------------------------------

    @rpc
    @query()
    def get_replica_status(self, scope):
        scope.caller.require_admin()
        return replica.replica_status(scope)

    @rpc
    @query()
    def get_replica_node(self, scope, node_id):
        scope.caller.require_admin()
        return schemas.NodeOut().dump(load(scope.session, Node, as_uuid(node_id, "node_id"), "node"))

    @on_event("organizations", "node_created", schema=schemas.NodeChanged())
    def on_node_created(self, scope, event):
        replica.apply_node(scope, event)

    @on_event("organizations", "node_updated", schema=schemas.NodeChanged())
    def on_node_updated(self, scope, event):
        replica.apply_node(scope, event)

    @on_event("organizations", "node_moved", schema=schemas.NodeMoved())
    def on_node_moved(self, scope, event):
        replica.apply_move(scope, event)

    @on_event("organizations", "node_archived", schema=schemas.NodeArchived())
    def on_node_archived(self, scope, event):
        replica.apply_archive(scope, event)

    @on_event("organizations", "unit_registered", schema=schemas.UnitChanged())
    def on_unit_registered(self, scope, event):
        replica.apply_unit(scope, event)

    @on_event("organizations", "unit_updated", schema=schemas.UnitChanged())
    def on_unit_updated(self, scope, event):
        replica.apply_unit(scope, event)

    @on_event("organizations", "unit_reported_in", schema=schemas.UnitReport())
    def on_unit_reported_in(self, scope, event):
        replica.apply_report_in(scope, event, active=True)

    @on_event("organizations", "unit_report_in_withdrawn", schema=schemas.UnitReport())
    def on_unit_report_in_withdrawn(self, scope, event):
        replica.apply_report_in(scope, event, active=False)

    @on_event("organizations", "agreement_signed", schema=schemas.AgreementChanged())
    def on_agreement_signed(self, scope, event):
        self._agreement(scope, event)

    @on_event("organizations", "agreement_updated", schema=schemas.AgreementChanged())
    def on_agreement_updated(self, scope, event):
        self._agreement(scope, event)

    @on_event("organizations", "agreement_terminated", schema=schemas.AgreementChanged())
    def on_agreement_terminated(self, scope, event):
        self._agreement(scope, event)

    def _agreement(self, scope, event):
        """Replicate the agreement; bookings of lent rooms its new terms no longer allow are
        cancelled (booking_cancelled, reason lending_withdrawn)."""
        resources = replica.apply_agreement(scope, event)
        if resources:
            bookings.revalidate_lending(scope, resources)
