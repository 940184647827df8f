"""Shared fixtures: a real HTTP site on 127.0.0.1 and paths to the shared third-party data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.localsite import LocalSite

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture
def site() -> Iterator[LocalSite]:
    """A local web site whose pages a test publishes and edits."""
    with LocalSite() as running:
        yield running


@pytest.fixture
def shared_dir() -> Path:
    """`../shared` beside the checkout; tests that need it skip where it is absent."""
    if not SHARED.is_dir():
        pytest.skip("../shared is absent (it holds third-party data; CI has it)")
    return SHARED
