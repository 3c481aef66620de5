"""The genre vocabulary every feature, table and page shares, defined once (no I/O here, so
serving can import it without the dataset loaders)."""

#: The 18 real genres of MovieLens-100K, in the dataset's own order ("unknown" is dropped).
GENRES: tuple[str, ...] = (
    "Action",
    "Adventure",
    "Animation",
    "Children's",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Fantasy",
    "Film-Noir",
    "Horror",
    "Musical",
    "Mystery",
    "Romance",
    "Sci-Fi",
    "Thriller",
    "War",
    "Western",
)
