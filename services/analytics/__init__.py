"""Analytics: the archive of every event, demand rollups and reports."""
