"""Explicit transition tables: a refused transition is a Conflict naming the current state."""

from shared.errors import Conflict


class StateMachine:
    """``transitions``: action → (states it may start from, state it leads to or None to stay)."""

    def __init__(self, noun, transitions):
        self.noun = noun
        self.transitions = transitions

    def next(self, current, action):
        sources, target = self.transitions[action]
        if current not in sources:
            article = "an" if self.noun[0] in "aeiou" else "a"
            raise Conflict(f"cannot {action} {article} {self.noun} that is {current}",
                           {"status": current, "action": action})
        return current if target is None else target

    def allows(self, current, action):
        return current in self.transitions[action][0]

    def states(self):
        found = set()
        for sources, target in self.transitions.values():
            found |= set(sources)
            if target:
                found.add(target)
        return found
