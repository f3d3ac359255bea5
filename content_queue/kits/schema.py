"""Reading a kit file: YAML checked node by node, so a mistake is refused with the file, the line
and a reason a PIO can act on ("npstw.yaml, line 14: {agency} is not one of this kit's
fields"), never a traceback and never a half-read kit.

The YAML is composed (not loaded) so every value keeps its position (``node.start_mark``); the
structure is then checked here, by hand: the schema is small and the messages matter more than
the machinery.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from content_queue.platforms import PLATFORMS

FIELD_KINDS = ("text", "long_text", "date", "url", "number")
#: Where day 0 is: NPSTW's Sunday for the chosen year, the start date given, or a date field.
BUILTIN_ANCHORS = ("npstw", "start_date")
USUAL_TIME = "usual"
DEFAULT_TIME = "10:00"
KIT_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
HHMM = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
MAX_POSTS = 31
MAX_DAY = 366


class KitError(Exception):
    """A kit file that cannot be used: where (file, line) and why."""

    def __init__(self, file: str, line: int | None, reason: str) -> None:
        self.file, self.line, self.reason = file, line, reason
        where = f"{file}, line {line}" if line else file
        super().__init__(f"{where}: {reason}")

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "reason": self.reason}


@dataclass(frozen=True)
class KitField:
    name: str
    label: str
    required: bool = False
    kind: str = "text"
    help: str = ""


@dataclass(frozen=True)
class KitPostSpec:
    key: str
    title: str
    day: int
    #: "HH:MM", or None for the agency's usual posting time.
    time: str | None
    text: str
    variants: dict[str, str] = field(default_factory=dict)
    image_prompts: tuple[str, ...] = ()
    requires_consent: bool = False


@dataclass(frozen=True)
class Kit:
    id: str
    name: str
    description: str
    anchor: str
    default_time: str
    requires_consent: bool
    fields: tuple[KitField, ...]
    posts: tuple[KitPostSpec, ...]
    source: str

    def field_named(self, name: str) -> KitField | None:
        return next((f for f in self.fields if f.name == name), None)


# --- nodes ----------------------------------------------------------------------------------


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


class _Reader:
    """Typed access to one file's nodes; every refusal names the node's line."""

    def __init__(self, file: str) -> None:
        self.file = file

    def fail(self, node: yaml.Node | None, reason: str, line: int | None = None) -> KitError:
        return KitError(self.file, line or (_line(node) if node is not None else None), reason)

    def mapping(self, node: yaml.Node, what: str, allowed: tuple[str, ...]) -> dict[str, tuple]:
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, f"{what} must be a mapping of keys to values.")
        found: dict[str, tuple] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise self.fail(key_node, f"{what} has a key that is not plain text.")
            key = key_node.value
            if key in found:
                raise self.fail(key_node, f"{what} has the key '{key}' twice.")
            if key not in allowed:
                raise self.fail(key_node, f"'{key}' is not a key {what} can have (expected one "
                                          f"of: {', '.join(allowed)}).")
            found[key] = (key_node, value_node)
        return found

    def require(self, items: dict[str, tuple], key: str, parent: yaml.Node, what: str):
        if key not in items:
            raise self.fail(parent, f"{what} needs '{key}'.")
        return items[key][1]

    def text(self, node: yaml.Node, what: str, *, max_length: int = 10_000,
             empty_ok: bool = False) -> str:
        if not isinstance(node, yaml.ScalarNode) or node.tag == "tag:yaml.org,2002:null":
            raise self.fail(node, f"{what} must be text.")
        value = node.value
        if not empty_ok and not value.strip():
            raise self.fail(node, f"{what} is empty.")
        if len(value) > max_length:
            raise self.fail(node, f"{what} is longer than {max_length} characters.")
        return value

    def boolean(self, node: yaml.Node, what: str) -> bool:
        if not isinstance(node, yaml.ScalarNode) or node.tag != "tag:yaml.org,2002:bool":
            raise self.fail(node, f"{what} must be true or false.")
        return node.value.lower() in ("true", "yes", "on", "y")

    def integer(self, node: yaml.Node, what: str, low: int, high: int) -> int:
        if not isinstance(node, yaml.ScalarNode) or node.tag != "tag:yaml.org,2002:int" \
                or not re.fullmatch(r"[-+]?[0-9]+", node.value):
            raise self.fail(node, f"{what} must be a whole number.")
        value = int(node.value)
        if not low <= value <= high:
            raise self.fail(node, f"{what} must be from {low} to {high}; it is {value}.")
        return value

    def sequence(self, node: yaml.Node, what: str) -> list[yaml.Node]:
        if not isinstance(node, yaml.SequenceNode):
            raise self.fail(node, f"{what} must be a list (lines starting with '- ').")
        return list(node.value)

    def clock(self, node: yaml.Node, what: str, *, usual_ok: bool) -> str | None:
        # Not by tag: YAML 1.1 reads an unquoted 10:00 as the number 600.
        value = node.value.strip() if isinstance(node, yaml.ScalarNode) else None
        if usual_ok and value == USUAL_TIME:
            return None
        if value is None or not HHMM.match(value):
            usual = f" or '{USUAL_TIME}' (the agency's usual posting time)" if usual_ok else ""
            raise self.fail(node, f"{what} must be a time such as \"10:00\"{usual}.")
        return value

    def template(self, node: yaml.Node, what: str, names: set[str], *,
                 max_length: int = 10_000) -> str:
        """Text whose ``{placeholders}`` must each be one of the kit's field names."""
        value = self.text(node, what, max_length=max_length)
        try:
            parts = list(string.Formatter().parse(value))
        except ValueError as exc:
            raise self.fail(node, f"{what} has a stray brace ({exc}); write {{{{ or }}}} for a "
                                  "literal brace.") from None
        position = 0
        for literal, name, spec, conversion in parts:
            position += len(literal)
            if name is None:
                continue
            line = self._line_in(node, value, position)
            if not NAME.match(name) or spec or conversion:
                raise self.fail(node, f"{what} has {{{name}}}: a placeholder is a field name in "
                                      "braces, such as {agency_name}.", line)
            if name not in names:
                known = ", ".join(sorted(names)) or "none"
                raise self.fail(node, f"{what} uses {{{name}}}, which is not one of this kit's "
                                      f"fields ({known}).", line)
            position += len(name) + 2
        return value

    @staticmethod
    def _line_in(node: yaml.ScalarNode, value: str, position: int) -> int:
        """The line of ``position`` in a block scalar (``|``), else the scalar's first line."""
        if node.style == "|":
            return _line(node) + 1 + value[:position].count("\n")
        return _line(node)


# --- the kit ---------------------------------------------------------------------------------

KIT_KEYS = ("id", "name", "description", "dates", "default_time", "requires_consent",
            "fields", "posts")
FIELD_KEYS = ("name", "label", "required", "kind", "help")
POST_KEYS = ("key", "title", "day", "time", "text", "variants", "images", "requires_consent")
IMAGE_KEYS = ("alt_text_prompt",)


def parse_kit(text: str, file: str) -> Kit:
    """The kit described by ``text`` (the contents of ``file``), or :class:`KitError`."""
    r = _Reader(file)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise KitError(file, mark.line + 1 if mark else None,
                       f"not valid YAML: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise KitError(file, None, f"not valid YAML: {exc}") from None
    if root is None:
        raise KitError(file, 1, "the file is empty.")
    top = r.mapping(root, "A kit", KIT_KEYS)
    kit_id_node = r.require(top, "id", root, "A kit")
    kit_id = r.text(kit_id_node, "The kit's id", max_length=64)
    if not KIT_ID.match(kit_id):
        raise r.fail(kit_id_node, "The kit's id must be lower-case letters, digits and dashes, "
                                  "such as dispatcher-spotlight.")
    name = r.text(r.require(top, "name", root, "A kit"), "The kit's name", max_length=200)
    description = r.text(r.require(top, "description", root, "A kit"),
                         "The kit's description", max_length=2000)
    requires_consent = (r.boolean(top["requires_consent"][1], "requires_consent")
                        if "requires_consent" in top else False)
    default_time = (r.clock(top["default_time"][1], "default_time", usual_ok=False)
                    if "default_time" in top else DEFAULT_TIME)

    fields = _parse_fields(r, top, root)
    names = {f.name for f in fields}
    date_fields = {f.name for f in fields if f.kind == "date"}
    anchor = "start_date"
    if "dates" in top:
        node = top["dates"][1]
        anchor = r.text(node, "dates", max_length=64)
        if anchor not in BUILTIN_ANCHORS and anchor not in date_fields:
            options = ", ".join((*BUILTIN_ANCHORS, *sorted(date_fields)))
            raise r.fail(node, f"dates must be one of: {options} (npstw: the second full week "
                               "of April of the chosen year; start_date: the day the PIO "
                               "chooses; or the name of one of the kit's date fields).")
    posts = _parse_posts(r, top, root, names, requires_consent)
    return Kit(id=kit_id, name=name, description=description, anchor=anchor,
               default_time=default_time, requires_consent=requires_consent,
               fields=tuple(fields), posts=tuple(posts), source=file)


def _parse_fields(r: _Reader, top: dict, root: yaml.Node) -> list[KitField]:
    fields: list[KitField] = []
    if "fields" not in top:
        return fields
    for node in r.sequence(top["fields"][1], "fields"):
        items = r.mapping(node, "A field", FIELD_KEYS)
        name_node = r.require(items, "name", node, "A field")
        name = r.text(name_node, "A field's name", max_length=64)
        if not NAME.match(name):
            raise r.fail(name_node, f"The field name '{name}' must be lower-case letters, digits "
                                    "and underscores, starting with a letter.")
        if any(f.name == name for f in fields):
            raise r.fail(name_node, f"There are two fields named '{name}'.")
        kind = "text"
        if "kind" in items:
            kind = r.text(items["kind"][1], "A field's kind", max_length=32)
            if kind not in FIELD_KINDS:
                raise r.fail(items["kind"][1], f"The field kind '{kind}' is not one of: "
                                               f"{', '.join(FIELD_KINDS)}.")
        fields.append(KitField(
            name=name,
            label=r.text(r.require(items, "label", node, "A field"), "A field's label",
                         max_length=200),
            required=r.boolean(items["required"][1], "required") if "required" in items
            else False,
            kind=kind,
            help=r.text(items["help"][1], "A field's help", max_length=500)
            if "help" in items else "",
        ))
    return fields


def _parse_posts(r: _Reader, top: dict, root: yaml.Node, names: set[str],
                 kit_consent: bool) -> list[KitPostSpec]:
    nodes = r.sequence(r.require(top, "posts", root, "A kit"), "posts")
    if not nodes:
        raise r.fail(top["posts"][1], "A kit needs at least one post.")
    if len(nodes) > MAX_POSTS:
        raise r.fail(top["posts"][1], f"A kit can have at most {MAX_POSTS} posts.")
    posts: list[KitPostSpec] = []
    for number, node in enumerate(nodes, start=1):
        what = f"Post {number}"
        items = r.mapping(node, what, POST_KEYS)
        key_node = r.require(items, "key", node, what)
        key = r.text(key_node, f"{what}'s key", max_length=64)
        if not KIT_ID.match(key):
            raise r.fail(key_node, f"{what}'s key must be lower-case letters, digits and "
                                   "dashes, such as thank-you.")
        if any(p.key == key for p in posts):
            raise r.fail(key_node, f"Two posts have the key '{key}'.")
        variants: dict[str, str] = {}
        if "variants" in items:
            vnode = items["variants"][1]
            for platform, (pnode, tnode) in r.mapping(vnode, f"{what}'s variants",
                                                      PLATFORMS).items():
                variants[platform] = r.template(tnode, f"{what}'s {platform} variant", names)
        prompts: list[str] = []
        if "images" in items:
            for inode in r.sequence(items["images"][1], f"{what}'s images"):
                image = r.mapping(inode, "An image", IMAGE_KEYS)
                prompts.append(r.text(r.require(image, "alt_text_prompt", inode, "An image"),
                                      "alt_text_prompt", max_length=1000))
        posts.append(KitPostSpec(
            key=key,
            title=r.text(r.require(items, "title", node, what), f"{what}'s title",
                         max_length=200),
            day=r.integer(r.require(items, "day", node, what), f"{what}'s day", -MAX_DAY,
                          MAX_DAY),
            time=r.clock(items["time"][1], f"{what}'s time", usual_ok=True)
            if "time" in items else None,
            text=r.template(r.require(items, "text", node, what), f"{what}'s text", names),
            variants=variants,
            image_prompts=tuple(prompts),
            requires_consent=r.boolean(items["requires_consent"][1], "requires_consent")
            if "requires_consent" in items else kit_consent,
        ))
    return posts


def load_kit_file(path: Path) -> Kit:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise KitError(str(path), None, "the file is not UTF-8 text.") from None
    except OSError as exc:
        raise KitError(str(path), None, f"the file cannot be read ({exc.strerror}).") from None
    return parse_kit(text, str(path))
