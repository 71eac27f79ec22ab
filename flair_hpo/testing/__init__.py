"""Test helpers for strategies, early-stopping rules and the search loop, usable by extensions too:
the strategy contract suite, the early-stopping contract, and an executor that trains nothing."""
