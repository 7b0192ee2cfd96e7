"""The "app signs a person in" example of docs/people.md runs word for word, as an integrator
would run it, against every service of the platform: first sign-in registers the user, the next
one finds them, and once deactivated they can no longer sign in."""

import os
import subprocess
import sys

import pytest

from shared.config import REPO_ROOT

EXAMPLE = REPO_ROOT / "docs" / "examples" / "person_sign_in.py"
DOC = REPO_ROOT / "docs" / "people.md"
OPENID = "oDEMOdocs0001"  # the example's default


def test_the_doc_shows_the_example_verbatim():
    body = EXAMPLE.read_text(encoding="utf-8").split('"""\n\n', 1)[1]  # without the docstring
    assert body.strip() in DOC.read_text(encoding="utf-8")


@pytest.fixture
def app(platform, onboard, rpc_client, tokens):
    onboard("tongling", name="铜陵市")
    admin = rpc_client("tongling", tokens.admin("tongling"))
    admin.organizations.create_node({"kind": "street", "name": "桥南办事处", "code": "QN"})
    client = admin.tenants.create_api_client({"name": "白鹤小程序", "roles": [{"role": "resident"}],
                                              "permissions": ["delegate"]})
    env = dict(os.environ, AMQP_URI=platform["AMQP_URI"], GONGJIAN_TENANT="tongling",
               GONGJIAN_CLIENT_ID=client["client_id"], GONGJIAN_CLIENT_SECRET=client["client_secret"],
               PYTHONWARNINGS="ignore")
    return {"admin": admin.tenants, "client": client, "env": env}


def sign_in(app):
    result = subprocess.run([sys.executable, str(EXAMPLE)], env=app["env"], cwd=REPO_ROOT, capture_output=True,
                            text=True, timeout=120)
    return result.returncode, result.stdout.splitlines(), result.stderr


def test_an_app_signs_its_user_in(app):
    code, lines, stderr = sign_in(app)
    assert code == 0, stderr
    person = app["admin"].find_person({"wechat_openid": OPENID})
    assert person["created_by"] == f"client:{app['client']['client_id']}"
    assert lines[0] == f"registered {person['id']} as 小程序用户 (wechat oDEM****01)"
    assert lines[1].startswith(f"person token for {person['id']}: roles resident, expires 20")
    assert lines[2] == "signed in as 小程序用户; streets: 桥南办事处"
    assert lines[3] == "Forbidden: listing people needs a tenant admin or staff role"
    assert lines[4] == "Conflict: this wechat openid belongs to another person {'field': 'wechat_openid'}"
    assert lines[5].startswith("ValidationError: {'phone': ['not a phone number")
    assert lines[6] == "NotFound: no such person {'field': 'wechat_openid'}"
    assert lines[7] == "Unauthenticated: invalid client credentials"
    wechat = next(c for c in person["contacts"] if c["channel"] == "wechat")
    assert wechat["verified"] and wechat["consent"] == "given" and wechat["consent_source"] == "小程序设置"

    # the next sign-in finds the same person and changes nothing
    code, again, stderr = sign_in(app)
    assert code == 0, stderr
    assert again[0] == f"found {person['id']} (wechat oDEM****01)"
    assert again[2:] == lines[2:]
    assert app["admin"].get_person(person["id"])["updated_at"] == person["updated_at"]
    assert len(app["admin"].list_people({"status": "any"})["items"]) == 1

    # a deactivated person gets no token
    app["admin"].deactivate_person({"person_id": person["id"]})
    code, refused, _ = sign_in(app)
    assert code == 1
    assert refused[-1] == "cannot sign in: the person is deactivated"
