"""Counting public money in a place: apportionment and the top-down count."""
