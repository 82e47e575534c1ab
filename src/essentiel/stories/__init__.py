"""Stories: group the day's articles into stories (near-duplicates, then cross-lingual clustering)."""

from essentiel.stories.cluster import DEFAULT_THRESHOLD, cluster_articles
from essentiel.stories.dedupe import duplicate_groups
from essentiel.stories.embed import Embedder, UseEmbedder, default_embedder

__all__ = [
    "DEFAULT_THRESHOLD",
    "Embedder",
    "UseEmbedder",
    "cluster_articles",
    "default_embedder",
    "duplicate_groups",
]
