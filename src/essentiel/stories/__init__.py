"""Stories: near-duplicates, then online cross-lingual clustering that lasts across days."""

from essentiel.stories.cluster import DEFAULT_THRESHOLD, cluster_articles
from essentiel.stories.dedupe import DuplicateGroup, copy_groups, duplicate_groups, syndicated_ids
from essentiel.stories.embed import Embedder, UseEmbedder, default_embedder
from essentiel.stories.incremental import edition_stories, update_stories
from essentiel.stories.online import Params

__all__ = [
    "DEFAULT_THRESHOLD",
    "DuplicateGroup",
    "Embedder",
    "Params",
    "UseEmbedder",
    "cluster_articles",
    "copy_groups",
    "default_embedder",
    "duplicate_groups",
    "edition_stories",
    "syndicated_ids",
    "update_stories",
]
