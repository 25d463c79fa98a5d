"""YAML read as a tree that remembers where each value was written.

PyYAML's composer (the C one when available) gives nodes with line marks;
this module turns them into plain dicts and lists that also carry the line of
every key and item, so that errors can say `file:line`. It refuses what a
question bank never needs and an attacker would use: aliases (the
"billion laughs" expansion), deep nesting and oversized files.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_DEPTH = 12

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_CONSTRUCTOR = yaml.constructor.SafeConstructor()
_SCALAR_BUILDERS = {
    "tag:yaml.org,2002:str": lambda node: node.value,
    "tag:yaml.org,2002:int": _CONSTRUCTOR.construct_yaml_int,
    "tag:yaml.org,2002:float": _CONSTRUCTOR.construct_yaml_float,
    "tag:yaml.org,2002:bool": _CONSTRUCTOR.construct_yaml_bool,
    "tag:yaml.org,2002:null": lambda node: None,
    "tag:yaml.org,2002:timestamp": _CONSTRUCTOR.construct_yaml_timestamp,
}


class YamlTreeError(Exception):
    """The text is not YAML this project accepts; `line` is 1-based."""

    def __init__(self, line: int, code: str, **params: object) -> None:
        super().__init__(f"{line}: {code} {params}")
        self.line = line
        self.code = code
        self.params = params


class LineDict(dict):
    """A mapping read from YAML: `line` of the mapping, `key_lines` and `raw` text per key."""

    line: int
    key_lines: dict[Any, int]
    raw: dict[Any, str]


class LineList(list):
    """A sequence read from YAML: `line` of the sequence and `item_lines` per item."""

    line: int
    item_lines: list[int]


@dataclass(frozen=True)
class Document:
    root: Any
    line: int


def parse_tree(text: str) -> Document:
    """Parse one YAML document into LineDict / LineList / scalars."""
    if len(text.encode("utf-8")) > MAX_FILE_BYTES:
        raise YamlTreeError(1, "file_too_large", limit=MAX_FILE_BYTES // (1024 * 1024))
    try:
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.reader.ReaderError as error:
        # A character YAML cannot hold (a raw control character): the reader gives
        # its position in the text, not a line.
        # libyaml counts bytes of UTF-8, the pure-Python reader counts characters.
        before = (
            text.encode("utf-8")[: error.position].count(b"\n")
            if _LOADER is not yaml.SafeLoader
            else text[: error.position].count("\n")
        )
        line = before + 1
        raise YamlTreeError(
            line,
            "control_character",
            field=f"U+{error.character:04X}" if isinstance(error.character, int) else "text",
        ) from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 1
        raise YamlTreeError(line, "yaml_syntax", detail=str(error.problem or error)) from None
    except yaml.YAMLError as error:
        raise YamlTreeError(1, "yaml_syntax", detail=str(error)) from None
    if node is None:
        return Document(None, 1)
    return Document(_convert(node, 0, set()), node.start_mark.line + 1)


def _convert(node: yaml.Node, depth: int, seen: set[int]) -> Any:
    line = node.start_mark.line + 1
    if depth > MAX_DEPTH:
        raise YamlTreeError(line, "yaml_too_deep", limit=MAX_DEPTH)
    if id(node) in seen:
        # The composer resolves an alias to the anchored node itself: meeting a
        # node twice means an alias, which could expand without bound.
        raise YamlTreeError(line, "yaml_alias")
    seen.add(id(node))
    if isinstance(node, yaml.ScalarNode):
        builder = _SCALAR_BUILDERS.get(node.tag)
        if builder is None:
            raise YamlTreeError(line, "yaml_tag", tag=node.tag)
        try:
            return builder(node)
        except (ValueError, yaml.constructor.ConstructorError):
            return node.value
    if isinstance(node, yaml.SequenceNode):
        if node.tag != "tag:yaml.org,2002:seq":
            raise YamlTreeError(line, "yaml_tag", tag=node.tag)
        items = LineList(_convert(item, depth + 1, seen) for item in node.value)
        items.line = line
        items.item_lines = [item.start_mark.line + 1 for item in node.value]
        return items
    if isinstance(node, yaml.MappingNode):
        if node.tag != "tag:yaml.org,2002:map":
            raise YamlTreeError(line, "yaml_tag", tag=node.tag)
        mapping = LineDict()
        mapping.line = line
        mapping.key_lines = {}
        mapping.raw = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise YamlTreeError(key_node.start_mark.line + 1, "yaml_alias")
            key = _convert(key_node, depth + 1, seen)
            if not isinstance(key, (str, int, bool)) or key is None:
                raise YamlTreeError(key_node.start_mark.line + 1, "yaml_bad_key")
            if key in mapping:
                raise YamlTreeError(
                    key_node.start_mark.line + 1, "yaml_duplicate_key", key=str(key)
                )
            mapping[key] = _convert(value_node, depth + 1, seen)
            mapping.key_lines[key] = key_node.start_mark.line + 1
            if isinstance(value_node, yaml.ScalarNode):
                mapping.raw[key] = value_node.value
        return mapping
    raise YamlTreeError(line, "yaml_tag", tag=str(node.tag))


def to_line_tree(value: Any) -> Any:
    """Wrap plain dicts and lists as LineDict / LineList at line 0, for validating
    data that did not come from a file (forms, stored definitions)."""
    if isinstance(value, dict):
        mapping = LineDict((key, to_line_tree(item)) for key, item in value.items())
        mapping.line = 0
        mapping.key_lines = {key: 0 for key in value}
        mapping.raw = {}
        return mapping
    if isinstance(value, (list, tuple)):
        items = LineList(to_line_tree(item) for item in value)
        items.line = 0
        items.item_lines = [0] * len(items)
        return items
    return value
