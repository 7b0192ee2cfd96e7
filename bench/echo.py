"""The baseline every benchmark is measured against: a bare nameko RPC, no auth, no database."""

from nameko.rpc import rpc


class EchoService:
    name = "echo"

    @rpc
    def echo(self, value):
        return value
