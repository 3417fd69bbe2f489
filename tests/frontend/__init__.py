"""The panel bundle against its sources."""
