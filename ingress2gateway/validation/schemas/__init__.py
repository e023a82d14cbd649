"""Generated CRD schemas (see PROVENANCE.json); regenerate with scripts/vendor_schemas.py."""
