"""Sample records for the elementwise family of the op table."""

RECORDS = []
