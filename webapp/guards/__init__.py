"""Middleware and helpers that keep hostile or unlucky requests from becoming server errors.

Each module has one job: request size limits, the database-outage page, one-line logging of
requests that were correctly refused.
"""
