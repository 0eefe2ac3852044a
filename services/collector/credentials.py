"""Device passwords encrypted at rest: `password_encrypted: "nv1:<Fernet token>"`.

The key is a Fernet key (32 random bytes, URL-safe base64) from `NETVIGIL_SECRET_KEY` or
the file named by `secret_key_file`; `generate_key()` makes one and `encrypt_password()`
produces the inventory value (the `netvigil encrypt-password` command calls it). A
decrypted password only ever lives in a `SecretStr`, so it is never logged or serialised.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken
from pydantic import SecretStr

from shared.errors import ConfigError
from shared.inventory import Device
from shared.settings import NetvigilSettings

PREFIX = "nv1:"


def generate_key() -> str:
    """A new random key, to put in NETVIGIL_SECRET_KEY or a key file (mode 0600)."""
    return Fernet.generate_key().decode()


def load_secret_key(settings: NetvigilSettings) -> bytes | None:
    """The configured key: the environment wins over the key file; None when neither is set."""
    if settings.secret_key is not None:
        return _checked(settings.secret_key.get_secret_value().strip().encode(), "secret_key")
    path = settings.secret_key_file
    if path is None:
        return None
    try:
        text = path.read_text().strip()
    except OSError as exc:
        raise ConfigError(f"secret_key_file {path}: cannot read: {exc.strerror}") from exc
    return _checked(text.encode(), f"secret_key_file {path}")


def _checked(key: bytes, where: str) -> bytes:
    try:
        Fernet(key)
    except ValueError as exc:
        raise ConfigError(
            f"{where} is not a Fernet key (32 url-safe base64-encoded bytes); "
            "make one with: netvigil generate-key"
        ) from exc
    return key


def encrypt_password(password: str, *, key: bytes) -> str:
    """The `password_encrypted` inventory value for `password`."""
    return PREFIX + Fernet(key).encrypt(password.encode()).decode()


def encrypt_for_inventory(password: str, settings: NetvigilSettings) -> str:
    """What `netvigil encrypt-password` prints: `password` encrypted with the configured key."""
    key = load_secret_key(settings)
    if key is None:
        raise ConfigError(
            "no key to encrypt with: set NETVIGIL_SECRET_KEY or secret_key_file "
            "(make one with: netvigil generate-key)"
        )
    return encrypt_password(password, key=key)


def decrypt_password(value: str, *, key: bytes | None, device: str) -> SecretStr:
    """The password inside an `nv1:` value; ConfigError names the device when it cannot."""
    if not value.startswith(PREFIX):
        raise ConfigError(f"{device}: password_encrypted must start with {PREFIX!r}")
    if key is None:
        raise ConfigError(
            f"{device}: password_encrypted needs a key: set NETVIGIL_SECRET_KEY or secret_key_file"
        )
    try:
        return SecretStr(Fernet(key).decrypt(value[len(PREFIX):].encode()).decode())
    except InvalidToken as exc:
        raise ConfigError(
            f"{device}: password_encrypted was not made with the configured key"
        ) from exc


def device_password(device: Device, *, key: bytes | None) -> SecretStr | None:
    """The password to log in to `device` with, decrypting it when it is stored encrypted."""
    if device.password_encrypted is not None:
        encrypted = device.password_encrypted.get_secret_value()
        return decrypt_password(encrypted, key=key, device=device.name)
    return device.password
