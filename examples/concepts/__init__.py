"""One short workflow per concept, shown in the README and run by tests/cli/test_concepts.py."""
