"""Reading input: manifest files, directories and streams, and live clusters, into objects that remember where they came from."""
