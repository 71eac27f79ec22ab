"""Experiment trackers, each an optional extra imported only when used."""
