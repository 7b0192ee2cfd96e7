"""The organizations service: territory tree, party organisations, resident units, alliances,
co-building agreements, whistle-and-report, cases, consultations and statistics.

Entry points only: each loads its payload (decorator), calls a handler, dumps the result.
"""

from services.organizations import schemas
from services.organizations.handlers import territory
from shared.endpoints import command, query
from shared.rpc import rpc
from shared.service import GongjianService

NODE = schemas.Node()


class OrganizationsService(GongjianService):
    name = "organizations"

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
