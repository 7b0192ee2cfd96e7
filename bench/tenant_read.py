"""Issue 2's benchmark: an authenticated, tenant-scoped read RPC (tenants.get_api_client: token
verification, tenant registry check, a primary-key read in the tenant's schema) against a bare
nameko echo, in the same run, with 1 tenant and with 200 tenants."""

import itertools

import eventlet

from bench.harness import BenchEnvironment, print_table, retarget

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

        rows = []
        for concurrency in (1, 10):
            echo, read = env.compare(read_one, calls=CALLS, concurrency=concurrency, tenant=slugs[0], token=token)
            rows.append((concurrency, echo, read))

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
            echo, read = env.compare(read_any, calls=CALLS, concurrency=concurrency, tenant=slugs[0], token=token)
            rows.append((f"{concurrency}/{MANY_TENANTS}", echo, read))

        for label, echo, read in rows:
            concurrency, _, tenants = str(label).partition("/")
            print_table(
                f"concurrency {concurrency}, {tenants or 1} tenant(s)",
                [("bare nameko echo", echo), ("tenant-scoped read", read)],
                echo,
            )
