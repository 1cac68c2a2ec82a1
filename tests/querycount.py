"""The one way tests count SQL queries.

    with count_queries() as small:
        client.get(url)
    assert small.count == 7, small          # the message lists every statement

    with assert_queries(7):                 # the same, checked when the block ends
        client.get(url)

``count_queries`` yields a :class:`CountedQueries`: ``.count`` (live inside the block, final
after it), ``.sql`` (the statements, in order) and a readable ``str`` of them for assertion
messages. ``queries_of(fn)`` runs ``fn`` inside ``count_queries`` and returns the result.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from django.db import DEFAULT_DB_ALIAS, connections
from django.test.utils import CaptureQueriesContext


class CountedQueries:
    """The queries run inside one ``count_queries`` block."""

    def __init__(self, capture: CaptureQueriesContext):
        self._capture = capture

    @property
    def count(self) -> int:
        return len(self._capture.captured_queries)

    @property
    def sql(self) -> list[str]:
        return [query["sql"] for query in self._capture.captured_queries]

    def __len__(self) -> int:
        return self.count

    def __str__(self) -> str:
        lines = [f"{self.count} queries on {self._capture.connection.vendor}:"]
        lines += [f"  {number}. {sql}" for number, sql in enumerate(self.sql, start=1)]
        return "\n".join(lines)

    __repr__ = __str__


@contextlib.contextmanager
def count_queries(using: str = DEFAULT_DB_ALIAS) -> Iterator[CountedQueries]:
    """Count (and keep) the SQL run on the ``using`` connection inside the block."""
    with CaptureQueriesContext(connections[using]) as capture:
        yield CountedQueries(capture)


@contextlib.contextmanager
def assert_queries(expected: int, using: str = DEFAULT_DB_ALIAS) -> Iterator[CountedQueries]:
    """Fail unless the block runs exactly ``expected`` queries; the failure lists the SQL."""
    with count_queries(using) as counted:
        yield counted
    if counted.count != expected:
        raise AssertionError(f"expected {expected} queries, ran {counted}")


def queries_of(fn: Callable[[], object], using: str = DEFAULT_DB_ALIAS) -> CountedQueries:
    """Run ``fn`` and return the queries it ran."""
    with count_queries(using) as counted:
        fn()
    return counted
