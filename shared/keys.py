"""Ed25519 key pairs for signing tokens. Only `tenants` (and the operator's CLI) hold the private
key; every other service gets only the public key."""

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


def generate_keypair(private_path, public_path, overwrite=False):
    """Write a new key pair unless one exists; returns True when it wrote one."""
    private_path, public_path = Path(private_path), Path(public_path)
    if private_path.exists() and public_path.exists() and not overwrite:
        return False
    private_path.parent.mkdir(parents=True, exist_ok=True)
    public_path.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(private_pem)
    public_path.write_bytes(public_pem)
    return True


def load_private_key(path):
    return serialization.load_pem_private_key(Path(path).read_bytes(), password=None)


def load_public_key(path):
    return serialization.load_pem_public_key(Path(path).read_bytes())
