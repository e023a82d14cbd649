"""Large inputs: worker processes, parts of the input, spooling and garbage-collector pauses.

The only code that knows about processes; everything else runs in one process, top to bottom."""
