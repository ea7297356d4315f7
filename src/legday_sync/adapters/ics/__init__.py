""".ics files and URLs: read (source), write (sink)."""
