"""`netvigil generate-key` and `encrypt-password` as a user runs them, as processes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

pytestmark = pytest.mark.integration


def _netvigil(*args: str, env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "services.cli", *args], input=stdin,
                          capture_output=True, text=True, env=env, timeout=60)


def test_encrypt_password_output_decrypts_with_the_generated_key(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETVIGIL_")}
    key = _netvigil("generate-key", env=env).stdout.strip()
    result = _netvigil("encrypt-password", env={**env, "NETVIGIL_SECRET_KEY": key},
                       stdin="s3cret pass\n")
    assert result.returncode == 0, result.stderr
    value = result.stdout.strip()
    assert value.startswith("nv1:")
    # decrypted independently with the cryptography library, not with our own code
    assert Fernet(key.encode()).decrypt(value.removeprefix("nv1:").encode()) == b"s3cret pass"
    assert "s3cret" not in result.stdout + result.stderr


def test_encrypt_password_without_key_fails_with_a_clear_message(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETVIGIL_")}
    result = _netvigil("encrypt-password", env=env, stdin="pw\n")
    assert result.returncode == 2
    assert "NETVIGIL_SECRET_KEY" in result.stderr
