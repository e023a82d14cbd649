"""Annotation handlers, one module per family; each module's docstring documents its family."""
