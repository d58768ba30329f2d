"""Sample records for the reductions family of the op table."""

RECORDS = []
