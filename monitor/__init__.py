"""article-monitor: watch published news articles, keep every version, say exactly what changed."""

from __future__ import annotations

from monitor.extract import extract_article
from monitor.models import Article

__all__ = ["Article", "extract_article"]
__version__ = "0.1.0"
