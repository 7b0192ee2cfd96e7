"""Integrator quick start: exchange API-client credentials for a token, then call services.

    GONGJIAN_CLIENT_ID=... GONGJIAN_CLIENT_SECRET=... .venv/bin/python docs/examples/quickstart.py
"""

import os

from nameko.standalone.rpc import ClusterRpcProxy

import shared.errors  # registers Gongjian's errors so they arrive as real exceptions

config = {"AMQP_URI": os.environ.get("AMQP_URI", "amqp://guest:guest@localhost:5672/")}
tenant = os.environ.get("GONGJIAN_TENANT", "tongling")
client_id = os.environ["GONGJIAN_CLIENT_ID"]
client_secret = os.environ["GONGJIAN_CLIENT_SECRET"]

# 1. Exchange the client's credentials for a short-lived token (no token needed for this call).
with ClusterRpcProxy(config, context_data={"tenant": tenant}) as rpc:
    token = rpc.tenants.issue_token({"client_id": client_id, "client_secret": client_secret})["access_token"]

# 2. Call any service with the tenant and the token in context data.
context = {"tenant": tenant, "authorization": f"Bearer {token}"}
with ClusterRpcProxy(config, context_data=context) as rpc:
    print("tenant:", rpc.tenants.get_tenant(tenant)["name"])
    try:
        rpc.tenants.get_api_client("00000000-0000-0000-0000-000000000000")
    except shared.errors.NotFound as error:
        print("NotFound:", error.message, error.details)
