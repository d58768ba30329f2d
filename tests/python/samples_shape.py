"""Sample records for the shape family of the op table."""

RECORDS = []
