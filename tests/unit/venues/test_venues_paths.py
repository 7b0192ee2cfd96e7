"""Path helpers of the replica (no database): subtree moves and the community of a path."""

from services.venues.handlers.common import rewrite_path
from services.venues.handlers.replica import community_path


def test_rewrite_path_moves_a_subtree_and_nothing_else():
    assert rewrite_path("a.b.c", "a.b", "x.b") == "x.b.c"
    assert rewrite_path("a.b", "a.b", "x.b") == "x.b"
    assert rewrite_path("a.bc.d", "a.b", "x.b") == "a.bc.d"  # a sibling whose label starts alike
    assert rewrite_path("q.r", "a.b", "x.b") == "q.r"


def test_community_of_a_path():
    assert community_path("street.community.grid.compound") == "street.community"
    assert community_path("street.community") == "street.community"
    assert community_path("street") == "street"
