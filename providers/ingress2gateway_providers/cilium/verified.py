"""``verify --providers cilium`` compares the migration, request by request, with a model of
Cilium (``controller_model``: which Ingresses the operator serves, the listeners it ingests
from each, the Envoy virtual hosts and sorted routes it translates them into, how Envoy
answers; see ``docs/verify.md``). The model and the migration are checked against Cilium's own
tests and documentation (all in ``tests/test_verify_cilium.py``):

| Cilium source | what it gives | our test |
|---|---|---|
| ``operator/pkg/model/translation/envoy_virtual_host_test.go`` ``TestSortableRoute`` | route order: exact, regular expression, prefix, longer first | ``test_routes_are_sorted_as_cilium_s_sortable_route_test_says`` |
| ``operator/pkg/model/ingestion/testdata/ingress/conformance_host_rules_test_with_default_secret`` | a listener per host, a secure one only for the hosts ``spec.tls`` names | ``test_ingestion_matches_cilium_s_conformance_host_rules_fixture`` |
| ``Documentation/network/servicemesh/path-types.rst`` | which Service answers each path, before and after the ``/impl.*`` patch | ``test_the_path_types_walkthrough_answers_as_documented`` |
| (ours) the golden cases and the corpus (Cilium's examples) | zero unexplained differences, both emitters | ``test_verify_finds_no_unexplained_difference_*`` |

A deliberately swapped backend is caught (``test_a_swapped_backend_is_caught``).

Not modelled: CiliumNetworkPolicy on the ingress identity, the operator's default TLS
secret, NodePort and host-network ports, request timeouts (they do not change where a request
goes). Older Cilium releases, which matched ``Prefix`` with a regular expression and ranked it
among the regular expressions, are not modelled either.
"""
