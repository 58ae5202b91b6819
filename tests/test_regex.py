"""sfmon.semantics.regex: Go's dialect through RE2, anchored as Prometheus and Alertmanager
anchor matcher values (the cases against amtool are in tests/conformance)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sfmon.semantics import regex


def test_fullmatch_is_anchored_around_the_whole_pattern():
    assert regex.compile("a|b").fullmatch("b")
    assert not regex.compile("a|b").fullmatch("ab")
    assert not regex.compile("5..").fullmatch("500\n")  # `$` is the end of the text


def test_flags_inside_a_group_and_newlines():
    assert regex.compile("team-(?i)ops").fullmatch("team-OPS")
    assert not regex.compile("a.b").fullmatch("a\nb")
    assert regex.compile("a.b", dot_nl=True).fullmatch("a\nb")  # Prometheus 3's selectors


def test_search_and_sub_are_unanchored_and_literal():
    r = regex.compile("b+")
    assert r.search("abbc") and not r.fullmatch("abbc")
    assert r.sub(r"\1$1", "abbcb") == r"a\1$1c\1$1"


def test_a_pattern_that_only_compiles_inside_the_anchors():
    r = regex.compile("a)|(b")  # Go compiles ^(?:a)|(b)$ too
    assert r.fullmatch("a")
    with pytest.raises(regex.RegexError):
        r.search("a")


@pytest.mark.parametrize("pattern", [r"(a)\1", "(?=a)", "a{1001}", r"\C", "(?<n>a)", "(?i"])
def test_refused_as_go_refuses(pattern):
    with pytest.raises(regex.RegexError, match="error parsing regexp"):
        regex.compile(pattern)
    assert regex.compile("(?P<n>a)").fullmatch("a")
    assert regex.check("[(?<n>]") == "[(?<n>]"  # inside a class `(?<` is literal


@given(st.text(max_size=30), st.text(max_size=10))
@settings(max_examples=300, deadline=None)
def test_any_text_compiles_or_is_refused_never_crashes(pattern, value):
    """Whatever a spec holds: a compiled pattern or a RegexError, and a match never raises."""
    try:
        r = regex.compile(pattern)
    except regex.RegexError:
        return
    r.fullmatch(value)
