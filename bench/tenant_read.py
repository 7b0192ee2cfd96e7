"""Issue 2's benchmark: an authenticated, tenant-scoped read RPC (tenants.get_api_client: token
verification, tenant registry check, a primary-key read in the tenant's schema) against a bare
nameko echo (and the lean-reply echo), in the same run, with 1 tenant and with 200 tenants."""

import itertools

import eventlet

from bench.harness import BenchEnvironment, lean_echo_call, print_ratios, retarget

CALLS = 2000  # per round; each figure is the median of 3 alternating rounds
MANY_TENANTS = 200


def create_client(env, slug):
    with env.client(slug, env.tokens.admin(slug)) as rpc:
        return rpc.tenants.create_api_client({"name": "bench", "roles": [{"role": "resident"}]})["client_id"]


def main():
    with BenchEnvironment(["tenants"]) as env:
        slugs = ["bench-000"]
        env.onboard(slugs[0])
        clients = {slugs[0]: create_client(env, slugs[0])}
        token = env.tokens.admin(slugs[0])

        def read_one(rpc):
            rpc.tenants.get_api_client(clients[slugs[0]])

        def versus_echo(read, concurrency):
            return env.versus_echo([("lean-reply echo", lean_echo_call, {}),
                                    ("tenant-scoped read", read, {"tenant": slugs[0], "token": token})],
                                   calls=CALLS, concurrency=concurrency)

        tables = []
        for concurrency in (1, 10):
            tables.append((f"concurrency {concurrency}, 1 tenant(s)", versus_echo(read_one, concurrency)))

        more = [f"bench-{i:03d}" for i in range(1, MANY_TENANTS)]
        list(eventlet.GreenPool(8).imap(env.onboard, more))
        slugs += more
        for slug in more:
            clients[slug] = create_client(env, slug)
        tokens = {slug: env.tokens.admin(slug) for slug in slugs}
        cycle = itertools.cycle(slugs)

        def read_any(rpc):
            slug = next(cycle)  # every call goes to the next tenant
            retarget(rpc, slug, tokens[slug])
            rpc.tenants.get_api_client(clients[slug])

        for concurrency in (1, 10):
            tables.append((f"concurrency {concurrency}, {MANY_TENANTS} tenant(s)",
                           versus_echo(read_any, concurrency)))

        for title, rows in tables:
            print_ratios(title, rows)
