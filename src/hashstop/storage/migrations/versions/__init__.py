"""Revision scripts; file names start with the date they were written."""
