"""The trace IR: its grammar and verifier, nodes, annotations, names and printing."""
