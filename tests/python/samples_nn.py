"""Sample records for the nn family of the op table."""

RECORDS = []
