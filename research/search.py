"""Full-text search of the findings library.

On PostgreSQL: a weighted text-search vector (title A, summary B, text and the file's
text C) in the Italian configuration when the server has it (``simple`` otherwise),
matched with ``websearch_to_tsquery`` (words, "quoted phrases", ``or``, ``-excluded``),
ranked, with a highlighted excerpt. A GIN index on the very same expression (migration
research 0003, built from ``search_vector``) serves the match. The index holds the
configuration found when it was built: after installing the Italian dictionary on a
server that lacked it, or changing RESEARCH_SEARCH_CONFIG, rebuild it (migrate research
0002, then migrate again), or searches stay correct but stop using the index.

Elsewhere (the SQLite quick start): every word must appear in one of the texts, newest
first, no excerpt."""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Q, QuerySet, TextField, Value
from django.db.models.functions import Concat
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# Markers of the highlighted words in an excerpt: control characters no text holds, so
# that the excerpt can be escaped whole and the markers turned into <mark> after.
START, STOP = "\x02", "\x03"
INDEX_NAME = "research_finding_search"


@functools.cache
def search_config(vendor: str = "postgresql") -> str:
    """The text-search configuration: settings.RESEARCH_SEARCH_CONFIG ("italian") when
    the PostgreSQL server knows it, else "simple"."""
    wanted = getattr(settings, "RESEARCH_SEARCH_CONFIG", "italian")
    if vendor != "postgresql":
        return wanted
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_ts_config WHERE cfgname = %s", [wanted])
        return wanted if cursor.fetchone() else "simple"


def search_vector(config: str) -> Any:
    """The weighted vector of an item (the index is built on this same expression)."""
    from django.contrib.postgres.search import SearchVector

    return (
        SearchVector("title", weight="A", config=config)
        + SearchVector("summary", weight="B", config=config)
        + SearchVector("body", "file_text", weight="C", config=config)
    )


def uses_postgres() -> bool:
    return connection.vendor == "postgresql"


def search(items: QuerySet[Any], text: str) -> QuerySet[Any]:
    """``items`` that match ``text``, best first (PostgreSQL) or newest first."""
    text = " ".join((text or "").split())
    if not text:
        return items
    if uses_postgres():
        from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank

        config = search_config()
        query = SearchQuery(text, config=config, search_type="websearch")
        vector = search_vector(config)
        return (
            items.annotate(search=vector)
            .filter(search=query)
            .annotate(
                rank=SearchRank(vector, query),
                excerpt=SearchHeadline(
                    Concat(
                        "summary",
                        Value(" "),
                        "body",
                        Value(" "),
                        "file_text",
                        output_field=TextField(),
                    ),
                    query,
                    config=config,
                    start_sel=START,
                    stop_sel=STOP,
                    max_words=30,
                    min_words=12,
                    max_fragments=2,
                ),
            )
            .order_by("-rank", "-created_at", "-id")
        )
    for word in text.split():
        word = word.strip('"')
        if word.startswith("-") or word.lower() == "or" or not word:
            continue
        items = items.filter(
            Q(title__icontains=word)
            | Q(summary__icontains=word)
            | Q(body__icontains=word)
            | Q(file_text__icontains=word)
        )
    return items


def highlighted(excerpt: str | None) -> SafeString:
    """An excerpt as HTML: its text escaped, the matched words in <mark>."""
    if not excerpt or START not in excerpt:
        return mark_safe("")
    html = escape(excerpt).replace(START, "<mark>").replace(STOP, "</mark>")
    return mark_safe(html)  # noqa: S308 - escaped above; only our own markers become tags
