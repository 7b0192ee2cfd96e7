"""Personal data at rest: contact addresses are sealed with AES-256-GCM and found by a keyed hash.

The key ring is JSON, from the environment (``PII_KEYS``) or a file (``PII_KEYS_FILE``, created
by ``gongjian keys init``)::

    {"current": "k2", "keys": {"k1": "<base64 32 bytes>", "k2": "…"}, "lookup": "<base64 32 bytes>"}

- Each sealed value records the id of the key that sealed it, so keys rotate without downtime:
  add a key and make it current (``gongjian keys rotate-pii``), restart `tenants`, then reseal old
  rows (``gongjian people reseal``) and only then retire the old key.
- The associated data binds a ciphertext to its tenant, person and channel: a sealed phone copied
  into another row or tenant does not open.
- The lookup hash is HMAC-SHA256 over tenant, channel and the normalised address. It makes exact
  lookups and per-tenant uniqueness possible without storing the address, and the same phone in
  two tenants hashes differently. The lookup key is not rotated by ``reseal`` (every hash would
  change); it is kept as long as the data.
"""

import base64
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12
KEY_BYTES = 32


class KeyRingError(RuntimeError):
    pass


@dataclass(frozen=True)
class KeyRing:
    current: str
    keys: dict  # key id -> 32 raw bytes
    lookup: bytes

    @classmethod
    def from_json(cls, text):
        try:
            data = json.loads(text)
            keys = {key_id: _key(value, key_id) for key_id, value in data["keys"].items()}
            ring = cls(current=data["current"], keys=keys, lookup=_key(data["lookup"], "lookup"))
        except (KeyError, TypeError, ValueError) as exc:
            raise KeyRingError(f"malformed PII key ring: {exc}") from None
        if ring.current not in ring.keys:
            raise KeyRingError(f"current key {ring.current!r} is not in the ring")
        return ring

    def to_json(self):
        return json.dumps({
            "current": self.current,
            "keys": {key_id: base64.b64encode(key).decode() for key_id, key in self.keys.items()},
            "lookup": base64.b64encode(self.lookup).decode(),
        }, indent=2)

    def seal(self, plaintext, associated):
        """(key id, nonce + ciphertext) of ``plaintext`` under the current key."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = AESGCM(self.keys[self.current]).encrypt(nonce, plaintext.encode(), associated.encode())
        return self.current, nonce + sealed

    def open(self, key_id, sealed, associated):
        key = self.keys.get(key_id)
        if key is None:
            raise KeyRingError(f"no key {key_id!r} in the ring (was it retired too early?)")
        try:
            return AESGCM(key).decrypt(bytes(sealed[:NONCE_BYTES]), bytes(sealed[NONCE_BYTES:]),
                                       associated.encode()).decode()
        except InvalidTag:
            raise KeyRingError("sealed value does not open with its key and associated data") from None

    def lookup_hash(self, tenant, channel, address):
        message = f"{tenant}\x1f{channel}\x1f{address}".encode()
        return hmac.new(self.lookup, message, hashlib.sha256).digest()

    def rotated(self):
        """A ring with a new current key (the old ones stay to open older values)."""
        key_id = f"k{len(self.keys) + 1}"
        while key_id in self.keys:
            key_id = f"{key_id}x"
        return KeyRing(current=key_id, keys={**self.keys, key_id: os.urandom(KEY_BYTES)}, lookup=self.lookup)

    def without(self, key_id):
        if key_id == self.current:
            raise KeyRingError("the current key cannot be retired")
        return KeyRing(current=self.current, keys={k: v for k, v in self.keys.items() if k != key_id},
                       lookup=self.lookup)


def _key(value, name):
    raw = base64.b64decode(value, validate=True)
    if len(raw) != KEY_BYTES:
        raise ValueError(f"key {name} must be {KEY_BYTES} bytes")
    return raw


def new_ring():
    return KeyRing(current="k1", keys={"k1": os.urandom(KEY_BYTES)}, lookup=secrets.token_bytes(KEY_BYTES))


def associated_data(tenant, person_id, channel):
    return f"{tenant}|{person_id}|{channel}"


def load_ring(environ_value=None, path=None):
    """The ring from ``PII_KEYS`` (JSON) if set, else from the file at ``path``."""
    if environ_value:
        return KeyRing.from_json(environ_value)
    if path is None or not Path(path).exists():
        raise KeyRingError(f"no PII key ring at {path}; run 'gongjian keys init' or set PII_KEYS")
    return KeyRing.from_json(Path(path).read_text())


def write_ring(ring, path):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(ring.to_json())
    tmp.replace(path)
