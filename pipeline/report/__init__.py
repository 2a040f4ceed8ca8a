"""The browsable report: an HTML corpus page and one page per session, self-contained."""
