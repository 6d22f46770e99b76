"""The shared TLS context: one per trust store, made ahead by a warm-up, failures not kept."""

from __future__ import annotations

import shutil
import ssl
import threading
from pathlib import Path

import certifi
import pytest

from artgen_tui.api import tls
from artgen_tui.api.errors import TrustStoreError


def _wait_for_warm_ups() -> None:
    for thread in threading.enumerate():
        if thread.name == "tls-warm-up":
            thread.join(10)


def _bundle(folder: Path) -> Path:
    copy = folder / "ca.pem"
    shutil.copy(certifi.where(), copy)
    return copy


def test_one_context_per_trust_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(_bundle(tmp_path)))
    first = tls.default_context()
    assert isinstance(first, ssl.SSLContext)
    assert first.verify_mode == ssl.CERT_REQUIRED and first.check_hostname
    assert tls.default_context() is first
    other = tmp_path / "other"
    other.mkdir()
    monkeypatch.setenv("SSL_CERT_FILE", str(_bundle(other)))
    assert tls.default_context() is not first


def test_the_warm_up_makes_the_context_that_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = _bundle(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    tls.warm_up()
    _wait_for_warm_ups()
    bundle.unlink()  # made now, it could not be: the warm-up's is the one handed out
    context = tls.default_context()
    assert context.cert_store_stats()["x509_ca"] > 0
    tls.warm_up()  # once per trust store: nothing more to do
    assert tls.default_context() is context


def test_a_missing_trust_store_fails_every_time_until_it_is_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = tmp_path / "ca.pem"
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    tls.warm_up()
    with pytest.raises(TrustStoreError, match=r"SSL_CERT_FILE \(.*ca\.pem\): No such file"):
        tls.default_context()  # what the warm-up raised
    bundle.write_text("not a certificate")
    with pytest.raises(TrustStoreError) as raised:
        tls.default_context()  # not kept: tried again
    assert raised.value.user_text().endswith(
        "ca.pem): no certificate or crl found. Fix or unset SSL_CERT_FILE, then try again."
    )
    assert not raised.value.transient
    shutil.copy(certifi.where(), bundle)
    assert tls.default_context().cert_store_stats()["x509_ca"] > 0
