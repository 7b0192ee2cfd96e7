"""Named crash points for fault tests: ``GONGJIAN_FAULTS=relay.after_publish`` makes the process
die right there, the way a kill -9 or a lost node would. Unset in production."""

import os

_active = frozenset(filter(None, os.environ.get("GONGJIAN_FAULTS", "").split(",")))


def point(name):
    if name in _active:
        os._exit(137)
