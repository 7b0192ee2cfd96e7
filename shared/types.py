"""Column types PostgreSQL offers that SQLAlchemy does not ship."""

from sqlalchemy.types import UserDefinedType


class Ltree(UserDefinedType):
    """PostgreSQL ``ltree`` (extension in ``public``). Values are dot-separated labels; territory
    paths use each node's UUID hex as its label, e.g. ``3f2a….9c1d``."""

    cache_ok = True

    def get_col_spec(self, **kw):
        return "ltree"

    def bind_processor(self, dialect):
        return None

    def result_processor(self, dialect, coltype):
        return None


def path_label(node_id):
    """The ltree label of a node: its UUID without dashes."""
    return str(node_id).replace("-", "")
