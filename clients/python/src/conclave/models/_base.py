"""The base of every typed model: dataclasses decoded from the server's JSON by their type hints.

Decoding is lenient in one direction only: fields the SDK does not know yet (a newer server) are
kept in `extra` instead of failing, and a field the server left out becomes None. Everything the
SDK knows is typed: timestamps become `datetime`, nested objects their model.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import types
import typing
from typing import Any, TypeVar

T = TypeVar("T", bound="Model")

_HINTS: dict[type, dict[str, Any]] = {}


@dataclasses.dataclass(kw_only=True)
class Model:
    """A resource or event payload. `extra` holds fields this version of the SDK does not know."""

    extra: dict[str, Any] = dataclasses.field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_dict(cls: type[T], data: Any) -> T:
        return decode(cls, data)

    def to_dict(self) -> dict[str, Any]:
        """The model as JSON-ready data (timestamps as RFC 3339 text), unknown fields included."""
        out: dict[str, Any] = dict(self.extra)
        for f in dataclasses.fields(self):
            if f.name != "extra":
                out[f.name] = _encode(getattr(self, f.name))
        return out


def _encode(value: Any) -> Any:
    if isinstance(value, Model):
        return value.to_dict()
    if isinstance(value, _dt.datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    return value


def parse_timestamp(text: str) -> _dt.datetime:
    """RFC 3339 → aware datetime (Python 3.10's fromisoformat does not take `Z`)."""
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    # fromisoformat before 3.11 takes at most 6 fractional digits
    head, dot, rest = text.partition(".")
    if dot:
        digits = len(rest) - len(rest.lstrip("0123456789"))
        if digits > 6:
            rest = rest[:6] + rest[digits:]
        text = head + "." + rest
    return _dt.datetime.fromisoformat(text)


def _hints(cls: type) -> dict[str, Any]:
    hints = _HINTS.get(cls)
    if hints is None:
        hints = typing.get_type_hints(cls)
        _HINTS[cls] = hints
    return hints


def decode(tp: Any, value: Any) -> Any:
    """`value` (parsed JSON) as type `tp`."""
    if value is None or tp is Any:
        return value
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(tp) if a is not type(None)]
        return _decode_union(options, value)
    if origin is typing.Literal:
        return value
    if origin in (list, typing.List):
        (item,) = typing.get_args(tp) or (Any,)
        return [decode(item, v) for v in value] if isinstance(value, list) else value
    if origin in (dict, typing.Dict):
        args = typing.get_args(tp)
        item = args[1] if len(args) == 2 else Any
        return {k: decode(item, v) for k, v in value.items()} if isinstance(value, dict) else value
    if isinstance(tp, type) and issubclass(tp, Model):
        return _decode_model(tp, value)
    if tp is _dt.datetime:
        return parse_timestamp(value) if isinstance(value, str) else value
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def _decode_union(options: list[Any], value: Any) -> Any:
    for option in options:
        if isinstance(option, type) and not issubclass(option, Model) and option is not _dt.datetime:
            if isinstance(value, option):
                return value
    for option in options:
        if isinstance(option, type) and issubclass(option, Model) and isinstance(value, dict):
            return decode(option, value)
        if option is _dt.datetime and isinstance(value, str):
            return decode(option, value)
        if typing.get_origin(option) in (list, dict):
            return decode(option, value)
    return value


def _decode_model(cls: type[T], value: Any) -> T:
    if isinstance(value, cls):
        return value
    if not isinstance(value, dict):
        raise TypeError(f"{cls.__name__}: expected a JSON object, got {type(value).__name__}")
    hints = _hints(cls)
    kwargs: dict[str, Any] = {}
    known = set()
    for f in dataclasses.fields(cls):
        if f.name == "extra":
            continue
        known.add(f.name)
        if f.name in value:
            kwargs[f.name] = decode(hints[f.name], value[f.name])
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            kwargs[f.name] = None
    kwargs["extra"] = {k: v for k, v in value.items() if k not in known}
    return cls(**kwargs)
