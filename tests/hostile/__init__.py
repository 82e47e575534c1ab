"""The hostile-input suite (issue #8): feeds, pages and network attacks, each against the real pipeline."""
