"""The segment stage: reports read into numbered lines, then statements attributed to person, role and section."""
