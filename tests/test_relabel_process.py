"""semantics/relabel.process against upstream's model/relabel/relabel_test.go (TestRelabel):
its cases as data (inputs, steps, outputs), no code copied."""

import pytest

from sfmon.semantics.relabel import address_problem, process

CASES = [
    # anchored: "f" does not match "foo", nothing is written
    ({"a": "foo"}, [{"source_labels": ["a"], "regex": "f", "target_label": "b", "replacement": "bar"}], {"a": "foo"}),
    ({"a": "foo"}, [{"source_labels": ["a"], "regex": "f.*", "target_label": "b", "replacement": "bar"}], {"a": "foo", "b": "bar"}),
    # target from a group, empty replacement: the label is removed (here: never set)
    ({"a": "foo"}, [{"source_labels": ["a"], "regex": "(f).*", "target_label": "$1", "replacement": "$2"}], {"a": "foo"}),
    ({"a": "foo", "b": "bar", "c": "baz"}, [{"source_labels": ["c"], "target_label": "d", "separator": ";", "action": "hashmod", "modulus": 1000}],
     {"a": "foo", "b": "bar", "c": "baz", "d": "976"}),
    ({"a": "foo\nbar"}, [{"source_labels": ["a"], "target_label": "b", "action": "hashmod", "modulus": 1000}], {"a": "foo\nbar", "b": "734"}),
    ({"a": "foo", "b1": "bar", "b2": "baz"}, [{"regex": "(b.*)", "replacement": "bar_${1}", "action": "labelmap"}],
     {"a": "foo", "b1": "bar", "b2": "baz", "bar_b1": "bar", "bar_b2": "baz"}),
    ({"a": "foo", "__meta_my_bar": "aaa", "__meta_my_baz": "bbb", "__meta_other": "ccc"},
     [{"regex": "__meta_(my.*)", "replacement": "${1}", "action": "labelmap"}],
     {"a": "foo", "__meta_my_bar": "aaa", "__meta_my_baz": "bbb", "__meta_other": "ccc", "my_bar": "aaa", "my_baz": "bbb"}),
    ({"a": "foo", "b": "bar"}, [{"source_labels": ["a"], "regex": "f.*", "action": "drop"}], None),
    ({"a": "foo", "b": "bar"}, [{"source_labels": ["a"], "regex": "no", "action": "keep"}], None),
    ({"a": "foo", "b": "bar"}, [{"regex": "b", "action": "labeldrop"}], {"a": "foo"}),
    ({"a": "foo", "b": "bar"}, [{"regex": "b", "action": "labelkeep"}], {"b": "bar"}),
    ({"foo": "bAr123Foo"}, [{"source_labels": ["foo"], "target_label": "foo_uppercase", "action": "uppercase"}, {"source_labels": ["foo"], "target_label": "foo_lowercase", "action": "lowercase"}],
     {"foo": "bAr123Foo", "foo_uppercase": "BAR123FOO", "foo_lowercase": "bar123foo"}),
    ({"a": "foo", "b": "foo"}, [{"source_labels": ["a"], "target_label": "b", "action": "keepequal"}], {"a": "foo", "b": "foo"}),
    ({"a": "foo", "b": "foo"}, [{"source_labels": ["a"], "target_label": "b", "action": "dropequal"}], None),
]


@pytest.mark.parametrize("labels,steps,out", CASES)
def test_process_as_upstream(labels, steps, out):
    assert process(labels, steps) == out


def test_address_problems():
    assert address_problem({"job": "x"}) == "no address"
    assert address_problem({"__address__": "a:1/x"}) == "'a:1/x' is not a valid hostname"
    assert address_problem({"__address__": "a:1"}) is None and address_problem(None) is None
