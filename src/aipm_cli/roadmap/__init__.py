"""A roadmap: its models, finding and loading its files, validating, plain data, durations."""
