"""Writing output objects: kubectl-style YAML, JSON, KYAML, directories, and in-place updates of users' files."""
