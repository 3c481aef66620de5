"""Command-line tools for the recommender: benchmark, train, serving benchmark, plots."""
