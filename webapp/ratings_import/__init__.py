"""Bringing ratings made elsewhere (Letterboxd, IMDb, MovieLens) into a SpikeLens account."""
