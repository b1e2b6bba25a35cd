"""The zoo in words: modules that turn the index's numbers into sentences and tables (no state, no sampling)."""
