"""What generated code calls when it runs: argument checks and array helpers."""
