"""Use cases of the organizations service, one module per idea: (scope, data) -> result.
Transactions are committed by the endpoint decorators; these functions read and write only
through ``scope.session`` and stage events with ``scope.emit``."""
