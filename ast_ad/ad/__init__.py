"""Differentiation of a trace: activity, effects, and the forward and reverse sweeps."""
