"""Fast path of the spec loader: rapidyaml (C++) parses, ruamel's own rules type the scalars.

ruamel's safe loader builds a Python node for every scalar and constructs in Python: on a
5,000-alert spec that is most of `sfmon generate`, and at 50,000 alerts its node tree
alone passes 500 MB. rapidyaml parses into a compact C++ tree in a fraction of the time;
this module turns that tree into the same data ruamel would return, typing each plain
scalar with ruamel's YAML 1.2 resolver and constructors, so ints, floats, bools, nulls
and dates come out exactly as before.

Syntax is judged by libyaml first (the parser ruamel's safe load runs, without building
Python objects), so nothing ruamel refuses gets through. `load(text)` returns None
whenever it cannot vouch for the result, and the loader then uses ruamel, which also
words every error: tags, anchors and aliases, directives, several documents, folded
scalars, duplicate keys, characters ruamel refuses, and plain scalars that start with an
indicator or hold a tab (where the two parsers were seen to read differently).
SFMON_YAML=ruamel turns the fast path off.
"""

from __future__ import annotations

import os
import re
from contextlib import contextmanager
from functools import partial
from types import SimpleNamespace
from typing import Any, Iterator

# Characters ruamel's Reader refuses (Reader.NON_PRINTABLE), and the line breaks only
# ruamel knows (NEL, LS, PS). The Unicode pattern takes ~20 ms to compile: ASCII text,
# the usual spec, is checked with the small one.
_ODD_ASCII = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ODD_UNICODE = "[^\x09\x0a\x0d\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"


def _odd_chars(text: str) -> bool:
    if text.isascii():
        return _ODD_ASCII.search(text) is not None
    return re.search(_ODD_UNICODE, text) is not None


# A document marker after the first line (several documents, or an explicit end).
_LATER_MARKER = re.compile(r"\n(?:---|\.\.\.)(?:[ \t\r\n]|$)")

# A plain scalar that starts with a YAML indicator (a number's minus sign aside) or holds a tab.
_RISKY_PLAIN = re.compile(r"^(?:[?:,\[\]{}#|>'\"!&*%@`]|-(?![0-9.]))|\t")

_STR = "tag:yaml.org,2002:str"
_TYPED = {"tag:yaml.org,2002:null", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:timestamp"}


class Unsure(Exception):
    """The fast path cannot promise ruamel's result: fall back."""


def available() -> bool:
    if os.environ.get("SFMON_YAML", "").lower() == "ruamel":
        return False
    try:
        import _ruamel_yaml  # noqa: F401  libyaml, as ruamel.yaml.clib ships it
        import ryml  # noqa: F401
    except ImportError:
        return False
    return True


def load(text: str) -> Any:
    """The document as ruamel's safe loader returns it, or None to let ruamel decide."""
    directive = text.startswith("%") or "\n%" in text
    if not available() or directive or _odd_chars(text) or _LATER_MARKER.search(text):
        return None
    import ryml
    from _ruamel_yaml import CParser  # the libyaml parser ruamel's safe load runs

    try:
        # libyaml judges the syntax, in C, without building Python objects: whatever ruamel
        # would refuse at parse level is refused here, and ruamel then words the error.
        CParser(text).raw_parse()
    except Exception:
        return None
    try:
        with quiet_stderr():
            tree = ryml.parse_in_arena(text.encode("utf-8"))
    except Exception:  # a syntax error: ruamel words it and places it
        return None
    try:
        return _Builder(tree).document()
    except (Unsure, UnicodeDecodeError, RecursionError):  # e.g. an escaped lone surrogate
        return None


@contextmanager
def quiet_stderr() -> Iterator[None]:
    """rapidyaml prints parse errors to file descriptor 2 itself; ruamel reports them instead."""
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


class _Scalars:
    """Plain scalar -> value, by ruamel's resolver table and constructors (memoised)."""

    def __init__(self) -> None:
        from ruamel.yaml.constructor import SafeConstructor
        from ruamel.yaml.resolver import VersionedResolver

        resolver = VersionedResolver()
        self.table = resolver.versioned_resolver  # YAML 1.2, ruamel's default
        self.constructor = SafeConstructor(loader=SimpleNamespace(_resolver=resolver))
        self.memo: dict[str, Any] = {}

    def plain(self, value: str) -> Any:
        try:
            return self.memo[value]
        except KeyError:
            pass
        if _RISKY_PLAIN.search(value):
            raise Unsure(value)  # an indicator or tab: where the two parsers may read it differently
        tag = _STR
        for candidate, regexp in self.table.get(value[:1], ()):
            if regexp.match(value):
                tag = candidate
                break
        if tag == _STR:
            out: Any = value
        elif tag in _TYPED:
            from ruamel.yaml.nodes import ScalarNode

            out = self.constructor.yaml_constructors[tag](self.constructor, ScalarNode(tag, value))
        else:  # merge keys, `=`, ...: ruamel's business
            raise Unsure(value)
        self.memo[value] = out
        return out


_scalars: _Scalars | None = None


class _Builder:
    """Walks the rapidyaml tree. Calls go straight to the SWIG functions where the binding
    has them (its Python method shims double the cost of ~4 calls per node)."""

    def __init__(self, tree: Any) -> None:
        import ryml

        global _scalars
        if _scalars is None:
            _scalars = _Scalars()
        self.tree = tree
        self.plain = _scalars.plain
        self.NONE = ryml.NONE
        raw = getattr(ryml, "_ryml", None)

        def fn(name: str) -> Any:
            f = getattr(raw, f"Tree_{name}", None)
            return getattr(tree, name) if f is None else partial(f, tree)

        self.type, self.key, self.val = fn("type"), fn("key"), fn("val")
        self.first_child, self.next_sibling = fn("first_child"), fn("next_sibling")
        self.MAP, self.SEQ, self.VAL = ryml.MAP, ryml.SEQ, ryml.VAL
        # Anything ruamel treats specially or may reject: leave to ruamel.
        self.refuse = ryml.KEYREF | ryml.VALREF | ryml.KEYANCH | ryml.VALANCH | ryml.KEYTAG | ryml.VALTAG
        self.refuse |= ryml.KEY_FOLDED | ryml.VAL_FOLDED
        self.key_styled = ryml.KEY_DQUO | ryml.KEY_SQUO | ryml.KEY_LITERAL | ryml.KEY_FOLDED
        self.val_styled = ryml.VAL_DQUO | ryml.VAL_SQUO | ryml.VAL_LITERAL | ryml.VAL_FOLDED
        self.flow = ryml.FLOW_SL | ryml.FLOW_ML

    def document(self) -> Any:
        t = self.tree
        root = t.root_id()
        if t.is_stream(root):
            if t.num_children(root) != 1:
                raise Unsure("documents")
            root = t.first_child(root)
        return self.node(root, self.type(root), False)

    def node(self, i: int, flags: int, in_flow: bool) -> Any:
        """The value of container or scalar node i; the loops inline scalars (most nodes)."""
        if flags & self.refuse:
            raise Unsure("tag, anchor, alias or folded scalar")
        plain = self.plain
        if flags & self.VAL:
            mem = self.val(i)
            value = "" if mem is None else str(mem, "utf-8")
            if flags & self.val_styled:
                return value
            if in_flow and ":" in value:
                raise Unsure(value)  # ruamel's scanner refuses ':' in a flow plain scalar
            return plain(value)
        if not flags & (self.MAP | self.SEQ):
            raise Unsure("node type")
        flow = bool(flags & self.flow) or in_flow
        NONE, type_, next_sibling, node, val = self.NONE, self.type, self.next_sibling, self.node, self.val
        refuse, leaf, val_styled = self.refuse, self.VAL, self.val_styled
        c = self.first_child(i)
        if flags & self.SEQ:
            items = []
            while c != NONE:
                items.append(node(c, type_(c), flow))
                c = next_sibling(c)
            return items
        out: dict[Any, Any] = {}
        n = 0
        key, key_styled = self.key, self.key_styled
        while c != NONE:
            cf = type_(c)
            if cf & refuse:
                raise Unsure("tag, anchor, alias or folded scalar")
            mem = key(c)
            k: Any = "" if mem is None else str(mem, "utf-8")
            if not cf & key_styled:
                if flow and ":" in k:
                    raise Unsure(k)
                k = plain(k)
            if cf & leaf:
                mem = val(c)
                v: Any = "" if mem is None else str(mem, "utf-8")
                if not cf & val_styled:
                    if flow and ":" in v:
                        raise Unsure(v)
                    v = plain(v)
            else:
                v = node(c, cf, flow)
            try:
                out[k] = v
            except TypeError:  # an unhashable key
                raise Unsure("key") from None
            n += 1
            c = next_sibling(c)
        if len(out) != n:
            raise Unsure("duplicate key")  # ruamel reports it, with both places
        return out
