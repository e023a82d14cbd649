"""Built-in providers of ingress2gateway, one subpackage each."""
