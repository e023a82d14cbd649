"""Every vendor corpus file with the nginx-gateway-fabric emitter (as ``test_corpora`` does for the others): no
exception, output valid for the target (Gateway API and NGINX Gateway Fabric CRDs), no ``output-invalid``, a
ledger entry for every field read, the same output twice."""

from __future__ import annotations

from pathlib import Path

import pytest

import ingress2gateway
from ingress2gateway.validation import validate

from .ledger_checks import missing_ledger_fields
from .shared_data import SHARED, require_shared
from .test_corpora import CASES, CORPORA, _convert, _is_file, missing_vendor_fields


@pytest.mark.parametrize(
    ("folder", "path"),
    CASES or [("none", Path("none"))],
    ids=lambda value: str(value.relative_to(SHARED / "corpus")) if _is_file(value) else value,
)
def test_corpus_file_converts_validly_for_nginx_gateway_fabric(folder: str, path: Path) -> None:
    require_shared("corpus")
    if folder == "none":
        pytest.fail("no corpus files found")
    provider = CORPORA[folder]
    objects, result = _convert(path, provider, "nginx-gateway-fabric")
    assert [
        f"{obj['kind']} {obj['metadata']['name']}: {problem}"
        for obj in result.resources
        for problem in validate(obj, result.target)
    ] == []
    assert [n.message for n in result.report.notifications if n.code == "output-invalid"] == []
    assert missing_ledger_fields(objects, result) == []
    assert missing_vendor_fields(objects, result, provider) == []
    _, again = _convert(path, provider, "nginx-gateway-fabric")
    assert ingress2gateway.dump(again.resources, "yaml") == ingress2gateway.dump(
        result.resources, "yaml"
    )
