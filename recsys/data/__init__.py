"""Datasets the recommender learns from.

Nothing is re-exported: importing a light module of this package (``recsys.data.genres``, which
serving reads) must not load the MovieLens downloader. Import from the module that defines a
name (``recsys.data.movielens``, ``recsys.data.genres``, ``recsys.data.split`` …).
"""
