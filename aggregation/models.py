"""Harvesting, dedup and identity models; this app depends on ``arks``, never the reverse."""
