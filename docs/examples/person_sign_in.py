"""An app signs a person in: its backend exchanges its client credentials for its own token, finds
its user by WeChat openid (registering them on their first sign-in), marks the openid verified,
then exchanges its credentials for a token *for that person* and calls the platform as them.

    GONGJIAN_CLIENT_ID=... GONGJIAN_CLIENT_SECRET=... .venv/bin/python docs/examples/person_sign_in.py

The API client needs the "delegate" permission (see docs/people.md).
"""

import os
import sys

from nameko.standalone.rpc import ClusterRpcProxy

# Importing shared.errors registers Gongjian's errors, so they arrive as real exceptions.
from shared.errors import Conflict, Forbidden, NotFound, Unauthenticated, ValidationError

config = {"AMQP_URI": os.environ.get("AMQP_URI", "amqp://guest:guest@localhost:5672/")}
tenant = os.environ.get("GONGJIAN_TENANT", "tongling")
credentials = {"client_id": os.environ["GONGJIAN_CLIENT_ID"], "client_secret": os.environ["GONGJIAN_CLIENT_SECRET"]}
# What WeChat's code2session returned for this user: the app checked it itself.
openid = os.environ.get("WECHAT_OPENID", "oDEMOdocs0001")

# 1. The app backend's own token (client credentials; this call needs no token).
with ClusterRpcProxy(config, context_data={"tenant": tenant}) as rpc:
    app_token = rpc.tenants.issue_token(credentials)["access_token"]

# 2. Find the user by openid, or register them on their first sign-in; mark the openid verified.
app = {"tenant": tenant, "authorization": f"Bearer {app_token}"}
with ClusterRpcProxy(config, context_data=app) as rpc:
    try:
        person = rpc.tenants.find_person({"wechat_openid": openid})
        print(f"found {person['id']} (wechat {person['wechat_openid']})")
    except NotFound:
        person = rpc.tenants.register_person({"name": "小程序用户", "wechat_openid": openid})
        print(f"registered {person['id']} as {person['name']} (wechat {person['wechat_openid']})")
    wechat = next(c for c in person["contacts"] if c["channel"] == "wechat")
    if not wechat["verified"]:
        rpc.tenants.verify_contact({"person_id": person["id"], "channel": "wechat"})

# 3. A token for the person: their own grants plus resident, never more.
with ClusterRpcProxy(config, context_data={"tenant": tenant}) as rpc:
    try:
        issued = rpc.tenants.issue_person_token({**credentials, "wechat_openid": openid, "ttl": 900})
    except Forbidden as error:  # the person is deactivated (or the client lacks "delegate")
        print("cannot sign in:", error.message)
        sys.exit(1)
roles = ", ".join(grant["role"] for grant in issued["roles"])
print(f"person token for {issued['person_id']}: roles {roles}, expires {issued['expires_at']}")

# 4. Call any service as the person.
me = {"tenant": tenant, "authorization": f"Bearer {issued['access_token']}"}
with ClusterRpcProxy(config, context_data=me) as rpc:
    person = rpc.tenants.get_person(issued["person_id"])
    wechat = next(c for c in person["contacts"] if c["channel"] == "wechat")
    if wechat["consent"] != "given":  # the user switched WeChat notifications on in the app
        rpc.tenants.set_consent({"person_id": person["id"], "channel": "wechat", "consent": "given",
                                 "source": "小程序设置"})
    streets = rpc.organizations.list_nodes({"top_level": True})["items"]
    print(f"signed in as {person['name']}; streets: {', '.join(s['name'] for s in streets)}")
    try:
        rpc.tenants.list_people({})
    except Forbidden as error:
        print("Forbidden:", error.message)

# 5. What the app gets when something is wrong.
with ClusterRpcProxy(config, context_data=app) as rpc:
    try:
        rpc.tenants.register_person({"name": "重复注册", "wechat_openid": openid})
    except Conflict as error:
        print("Conflict:", error.message, error.details)
    try:
        rpc.tenants.register_person({"name": "新用户", "phone": "12345"})
    except ValidationError as error:
        print("ValidationError:", error.details)
    try:
        rpc.tenants.issue_person_token({**credentials, "wechat_openid": "oNoSuchUser01"})
    except NotFound as error:
        print("NotFound:", error.message, error.details)
    try:
        rpc.tenants.issue_person_token({**credentials, "client_secret": "gjs_wrong", "wechat_openid": openid})
    except Unauthenticated as error:
        print("Unauthenticated:", error.message)
