"""The quote-aware scanner: what a path or expression holds outside its string literals."""

from __future__ import annotations

from asl._languages.scan import unquoted


def test_quoted_parts_are_skipped_with_their_quotes() -> None:
    """Characters inside '...' or "..." (and the quotes) are never yielded."""
    assert "".join(char for _, char in unquoted("a'b,c'd\"e)f\"g")) == "adg"


def test_a_backslash_escapes_the_quote_inside_a_literal() -> None:
    """`\\'` does not close a single-quoted literal."""
    assert [i for i, _ in unquoted(r"x'a\'b'y")] == [0, 7]


def test_indexes_are_positions_in_the_whole_text_from_start() -> None:
    """Scanning from `start` yields positions in the original text."""
    assert list(unquoted("ab'c'd", 1)) == [(1, "b"), (5, "d")]


def test_an_unclosed_literal_hides_the_rest() -> None:
    """Past an unclosed quote nothing is outside a literal."""
    assert list(unquoted("a'bc")) == [(0, "a")]
