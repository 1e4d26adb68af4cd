"""Canter's JSONPath: the subset LittleHorse users write, evaluated without code and bounded."""

import time
from typing import Any

import pytest
from canter_engine.model import jsonpath
from canter_engine.model.jsonpath import MISSING, JsonPathError, get, parse, set_value
from hypothesis import given, settings
from hypothesis import strategies as st

DOC = {
    "store": {
        "book": [
            {"title": "Sayings", "price": 8.95, "tags": ["a"]},
            {"title": "Sword", "price": 12.99, "isbn": "0-553"},
            {"title": "Moby", "price": 8.99, "isbn": "0-395"},
        ],
        "bicycle": {"color": "red", "price": 19.95},
    },
    "a b": 1,
    "n": None,
}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("$", DOC),
        ("$.store.bicycle.color", "red"),
        ("$['a b']", 1),
        ('$["store"]["bicycle"]["price"]', 19.95),
        ("$.store.book[0].title", "Sayings"),
        ("$.store.book[-1].title", "Moby"),
        ("$.n", None),
        ("$.missing", MISSING),
        ("$.store.book[7]", MISSING),
        ("$.store.bicycle.color.deeper", MISSING),
    ],
)
def test_a_definite_path_gives_one_value_or_missing(path: str, expected: Any) -> None:
    assert get(DOC, parse(path)) == expected or get(DOC, parse(path)) is expected


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("$.store.book[*].title", ["Sayings", "Sword", "Moby"]),
        ("$.store.book.*.price", [8.95, 12.99, 8.99]),
        ("$.store.book[0,2].title", ["Sayings", "Moby"]),
        ("$.store.book[1:].title", ["Sword", "Moby"]),
        ("$.store.book[:2].title", ["Sayings", "Sword"]),
        ("$.store.book[::2].title", ["Sayings", "Moby"]),
        ("$.store.book[?(@.price < 10)].title", ["Sayings", "Moby"]),
        ("$.store.book[?(@.isbn)].title", ["Sword", "Moby"]),
        ("$.store.book[?(@.title == 'Sword')].price", [12.99]),
        ("$.store.book[?(@.price > 8.96 && @.price < 13)].title", ["Sword", "Moby"]),
        (
            "$.store.book[?(@.title == 'Moby' || (@.price >= 12 && @.isbn != null))].title",
            [
                "Sword",
                "Moby",
            ],
        ),
        ("$.store.book[?(@.tags[0] == 'a')].title", ["Sayings"]),
        ("$.store.*.color", ["red"]),
        ("$.store.book[?(@.price < 'x')].title", []),
    ],
)
def test_an_indefinite_path_gives_the_list_of_matches(path: str, expected: list[Any]) -> None:
    assert get(DOC, parse(path)) == expected


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("", "non-empty"),
        ("store.book", "expected '$'"),
        ("$..price", "recursive descent"),
        ("$.a.`sub(/(a+)+b/, x)`", "expected . or ["),
        ("$[?(@.a =~ /x/)]", "expected"),
        ("$.book.length()", "expected . or ["),
        ("$[?(@.a > 1", "expected ')'"),
        ("$[0:1:0]", "step cannot be 0"),
        ("$['a", "unterminated"),
        ("$[" + "(" * 3, "expected *"),
        ("$[?(" + "(" * 12 + "@.a" + ")" * 12 + ")]", "nest at most"),
        ("$." + "a" * 2000, "at most 1024"),
    ],
)
def test_anything_beyond_the_subset_is_refused(path: str, why: str) -> None:
    with pytest.raises(JsonPathError, match=None) as caught:
        parse(path)
    assert why in str(caught.value)


def test_set_replaces_or_creates_the_last_field_and_copies_only_the_path() -> None:
    doc = {"foo": {"bar": 1}, "other": {"x": 1}}
    changed = set_value(doc, parse("$.foo.baz"), 2)
    assert changed == {"foo": {"bar": 1, "baz": 2}, "other": {"x": 1}}
    assert doc == {"foo": {"bar": 1}, "other": {"x": 1}}
    assert changed["other"] is doc["other"]


def test_set_below_a_missing_field_fails_as_jayway_does() -> None:
    """LittleHorse's ExpressionTest shouldThrowOnSecondLayerNullNestedField."""
    with pytest.raises(JsonPathError, match=r"Missing property in path \$\['foo'\]"):
        set_value({}, parse("$.foo.bar"), "baz")


def test_set_through_wildcards_and_filters_changes_every_match() -> None:
    doc = {"items": [{"n": 1}, {"n": 5}, {"n": 9}]}
    assert set_value(doc, parse("$.items[?(@.n > 3)].done"), True) == {
        "items": [{"n": 1}, {"n": 5, "done": True}, {"n": 9, "done": True}]
    }
    assert set_value(doc, parse("$.items[*].n"), 0) == {"items": [{"n": 0}] * 3}
    with pytest.raises(JsonPathError, match="Index 3 out of bounds for length 3"):
        set_value(doc, parse("$.items[3]"), 0)


def test_evaluation_is_bounded_whatever_the_data() -> None:
    wide = {"a": [[list(range(100)) for _ in range(100)] for _ in range(20)]}
    started = time.monotonic()
    with pytest.raises(JsonPathError, match="visited more than"):
        get(wide, parse("$.a[*][*][*]"))
    assert time.monotonic() - started < 2
    assert jsonpath.MAX_VISITS == 100_000


PATH_CHARS = "$.[]()'\"*?@=!<>&|,:-0123456789ab \\²"


@settings(max_examples=2000, deadline=None)
@given(text=st.text(alphabet=PATH_CHARS, max_size=30))
def test_any_text_parses_or_is_refused_and_never_fails_otherwise(text: str) -> None:
    """What reaches PutWfSpec is either a path or a JsonPathError (a 400), never a crash."""
    try:
        path = parse("$" + text)
    except JsonPathError:
        return
    for doc in (DOC, [1, [2, {"a": "b"}]], {}):
        try:
            get(doc, path)
            if path.steps:
                set_value(doc, path, 0)
        except JsonPathError:
            pass
