"""HarperDB's data formats, read and written as HarperDB does, with no job or table state."""
