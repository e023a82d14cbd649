"""pytest fixtures for the fake API server; import them into a test module explicitly.

Each fixture is a function named ``*_fixture`` registered under the short name (``name=``), so
a test module imports ``fake_kube_fixture`` and its tests ask for ``fake_kube`` without the
import shadowing the parameter (ruff F811).

``tls_material`` is made once per session (a CA and a server certificate); ``fake_kube`` is a
fresh HTTPS server per test, stopped (threads joined, sockets closed) at teardown;
``kubeconfig_path`` is a kubeconfig for it with context ``fake`` and namespace ``team-a``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakekube.server import FakeKube
from tests.fakekube.tls import TLSMaterial, make_tls_material

FAKE_CONTEXT = "fake"
FAKE_CONTEXT_NAMESPACE = "team-a"


@pytest.fixture(name="tls_material", scope="session")
def tls_material_fixture(tmp_path_factory: pytest.TempPathFactory) -> TLSMaterial:
    return make_tls_material(tmp_path_factory.mktemp("fakekube-tls"))


@pytest.fixture(name="fake_kube")
def fake_kube_fixture(tls_material: TLSMaterial) -> Iterator[FakeKube]:
    with FakeKube(tls=tls_material) as server:
        yield server


@pytest.fixture(name="kubeconfig_path")
def kubeconfig_path_fixture(fake_kube: FakeKube, tmp_path: Path) -> Path:
    return fake_kube.write_kubeconfig(
        tmp_path / "kubeconfig", context=FAKE_CONTEXT, namespace=FAKE_CONTEXT_NAMESPACE
    )
