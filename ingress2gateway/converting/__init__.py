"""Converting input objects to the IR and emitted objects: the pipeline, Ingress lowering, naming, screening and the access-control rule."""
