"""The baseline every benchmark is measured against: a bare nameko RPC, no auth, no database
(``echo``, nameko's default ``@rpc``: a confirmed, persistent reply through a fresh Publisher).
``lean_echo`` is the same method answered through shared.replies as a query (reused producer,
encoded once, no publisher confirm, transient) — what every Gongjian ``@query`` replies with.

``python -m bench echo`` compares the two in the same run, at 1 and 10 callers."""

from nameko.rpc import rpc

from shared.replies import QUERY, LeanRpc

CALLS = 2000  # per round; figures from the median of 3 alternating rounds


class EchoService:
    name = "echo"

    @rpc
    def echo(self, value):
        return value


class LeanEchoService:
    name = "lean_echo"

    @LeanRpc.decorator(reply=QUERY)
    def echo(self, value):
        return value


def main():
    from bench.harness import BenchEnvironment, lean_echo_call, print_ratios

    with BenchEnvironment([]) as env:
        for concurrency in (1, 10):
            rows = env.versus_echo([("lean-reply echo", lean_echo_call, {})], calls=CALLS,
                                   concurrency=concurrency)
            print_ratios(f"echo, concurrency {concurrency}", rows)
