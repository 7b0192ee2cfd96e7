"""The plain parts of shared.personal_data: subjects, pseudonyms, JSON conversion, rows of a model,
the payload schema and how services declare their hooks."""

import uuid
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

import marshmallow
import pytest
from sqlalchemy.dialects import postgresql

from services.organizations.handlers import personal as org_personal
from services.organizations.models import Case
from services.venues.handlers import personal as venues_personal
from services.venues.models import Booking
from shared.personal_data import (
    ERASED_NAME,
    PersonalData,
    PersonalDataHooks,
    PersonRef,
    Reference,
    is_pseudonym,
    jsonable,
    pseudonym,
    row_dict,
    subject_of,
)

PID = "8F1E6A4E-3F5B-4C1A-9D2E-1B2C3D4E5F60"


def test_a_persons_subject_is_canonical():
    assert subject_of(PID) == f"person:{PID.lower()}"
    assert subject_of(uuid.UUID(PID)) == subject_of(PID)
    with pytest.raises(ValueError):
        subject_of("42")


def test_pseudonyms_are_random_and_never_person_subjects():
    first, second = pseudonym(), pseudonym()
    assert first != second and first.startswith("erased:") and len(first) == len("erased:") + 32
    assert is_pseudonym(first) and not is_pseudonym(subject_of(PID)) and not is_pseudonym(None)
    assert not first.startswith("person:")


def test_jsonable_gives_utc_times_and_strings_for_ids_and_decimals():
    beijing = timezone(timedelta(hours=8))

    class Row:  # what SQLAlchemy's Row offers
        _mapping = {"n": 1}

    value = {
        "at": datetime(2026, 6, 1, 8, 0, tzinfo=beijing), "naive": datetime(2026, 6, 1, 8, 0),
        "day": date(2026, 6, 1), "hour": time(19, 30), "id": uuid.UUID(PID), "money": Decimal("12.50"),
        "nested": [{"ids": (uuid.UUID(PID),)}], "row": Row(), "none": None, "flag": True, "n": 3, "x": 1.5,
        "other": object,
    }
    out = jsonable(value)
    assert out["at"] == "2026-06-01T00:00:00+00:00" and out["naive"] == "2026-06-01T08:00:00"
    assert out["day"] == "2026-06-01" and out["hour"] == "19:30:00"
    assert out["id"] == PID.lower() and out["money"] == "12.50"
    assert out["nested"] == [{"ids": [PID.lower()]}] and out["row"] == {"n": 1}
    assert (out["none"], out["flag"], out["n"], out["x"]) == (None, True, 3, 1.5)
    assert isinstance(out["other"], str)
    assert sorted(jsonable({3, 1, 2})) == [1, 2, 3]


def test_row_dict_leaves_out_generated_and_excluded_columns():
    case = Case(id=uuid.UUID(PID), reporter_name="王秀英", reporter_subject="person:x", lat=30.0, lng=120.0)
    data = row_dict(case)
    assert "location" not in data  # generated PostGIS column
    assert data["reporter_name"] == "王秀英" and data["lat"] == 30.0 and data["rating"] is None
    assert set(data) == {c.key for c in Case.__table__.columns} - {"location"}
    booking = Booking(booker="person:x", organiser="张伟")
    assert "seq" not in row_dict(booking, exclude=("seq",)) and row_dict(booking)["organiser"] == "张伟"


def test_the_payload_names_one_person_and_nothing_else():
    assert PersonRef().load({"person_id": PID}) == {"person_id": uuid.UUID(PID)}
    for payload, field in (({"person_id": "nope"}, "person_id"), ({}, "person_id"),
                           ({"person_id": PID, "extra": 1}, "extra"), ({"person_id": PID, "tenant": "a"}, "tenant")):
        with pytest.raises(marshmallow.ValidationError) as error:
            PersonRef().load(payload)
        assert field in error.value.messages


def test_a_reference_matches_the_subject_and_its_extra_conditions():
    (ref,) = [r for r in org_personal.REFERENCES if r.column == "dispatch_target"]
    sql = str(ref.condition("person:x").compile(dialect=postgresql.dialect()))
    assert "cases.dispatch_target = " in sql and "cases.dispatch_kind = " in sql
    plain = Reference(Booking, "decided_by", "decided_at")
    assert str(plain.condition("s").compile(dialect=postgresql.dialect())).count("=") == 1


def test_services_declare_hooks_and_the_default_holds_nothing():
    from services.organizations.service import OrganizationsService
    from services.venues.service import VenuesService

    assert PersonalData.personal_data == PersonalDataHooks(export=None, erase=None)
    assert OrganizationsService.personal_data.export is org_personal.export_person
    assert OrganizationsService.personal_data.erase is org_personal.erase_person
    assert VenuesService.personal_data.export is venues_personal.export_person
    assert VenuesService.personal_data.erase is venues_personal.erase_person
    for service in (OrganizationsService, VenuesService):
        assert callable(service.export_personal_data) and callable(service.erase_personal_data)
    assert ERASED_NAME == "已注销用户"
