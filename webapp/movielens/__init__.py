"""MovieLens-100K into the site: its movies (catalog), its members (accounts) and their ratings.

Its own app because it writes to both: the catalog knows nothing of accounts, accounts build on
the catalog, and this app builds on both.
"""
