"""The storage contract suite: every backend passes the same tests."""
