"""Domain events and extension points: how a lower feature lets higher ones react or contribute
without importing them (the layers are in docs/architecture.md).

- A **domain event** is a fact a feature states after a change (``CaseTransferred``): a frozen
  dataclass of ids and plain values, defined in the emitting feature's ``events.py``. Higher
  features react in their ``listeners.py`` with ``@listens_to(CaseTransferred)``. ``emit`` calls
  the listeners at once, in the order they registered, in the caller's transaction: what they
  write commits or rolls back with the change that caused it, and an exception in a listener
  is the caller's exception.
- An **extension point** is a named list that a lower feature reads and higher features add to
  (the case page's sections, the seed loaders): ``ExtensionPoint.add``.

Listeners and contributions register when their module is imported: ``app.register_listeners``
imports every ``listeners.py``, so they are in place wherever an application exists (web,
command line, scheduler, tests). ``casework events`` lists who listens to what.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, is_dataclass
from typing import Any, ClassVar, Generic, TypeVar

E = TypeVar("E", bound="Event")
T = TypeVar("T")
Listener = Callable[[Any], Any]


@dataclass(frozen=True)
class Event:
    """Base of every domain event. Subclasses are frozen dataclasses of ids and values: a
    listener loads what it needs, so nothing depends on what the emitter had loaded."""


_listeners: dict[type[Event], list[Listener]] = {}


def listens_to(*event_types: type[E]) -> Callable[[Callable[[E], T]], Callable[[E], T]]:
    """Register the decorated function for each of ``event_types`` (once, however often the
    module is imported)."""

    for event_type in event_types:
        if not (isinstance(event_type, type) and issubclass(event_type, Event)):
            raise TypeError(f"{event_type!r} is not an Event")

    def register(listener: Callable[[E], T]) -> Callable[[E], T]:
        for event_type in event_types:
            registered = _listeners.setdefault(event_type, [])
            if listener not in registered:
                registered.append(listener)
        return listener

    return register


def emit(event: Event) -> list[Any]:
    """Call every listener of ``event``'s type now, in registration order; returns what they
    returned (None left out), for events whose listeners report counts."""
    results = [listener(event) for listener in _listeners.get(type(event), ())]
    return [result for result in results if result is not None]


class ExtensionPoint(Generic[T]):
    """A named list a lower package reads and higher packages add to when imported."""

    all: ClassVar[dict[str, ExtensionPoint[Any]]] = {}

    def __init__(self, name: str, purpose: str):
        self.name = name
        self.purpose = purpose
        self._items: list[T] = []
        ExtensionPoint.all[name] = self

    def add(self, item: T) -> T:
        """Add ``item`` (once); returns it, so a function can be added with a decorator."""
        if item not in self._items:
            self._items.append(item)
        return item

    def __iter__(self) -> Iterator[T]:
        return iter(tuple(self._items))

    def __len__(self) -> int:
        return len(self._items)


@dataclass(frozen=True)
class Wiring:
    """One line of ``casework events``: who (``listener``) plugs into what (``target``)."""

    kind: str  # "event" or "extension"
    target: str
    listener: str


def wiring() -> list[Wiring]:
    """Every listener of every event, and every contribution to every extension point, in the
    order they run."""
    lines = [
        Wiring("event", _qualified(event_type), _qualified(listener))
        for event_type, listeners in sorted(_listeners.items(), key=lambda i: _qualified(i[0]))
        for listener in listeners
    ]
    lines += [
        Wiring("extension", name, _qualified(item))
        for name, point in sorted(ExtensionPoint.all.items())
        for item in point
    ]
    return lines


def _qualified(thing: Any) -> str:
    if is_dataclass(thing) and not isinstance(thing, type):
        # A contribution record (a case page section, a seed loader): named by its function.
        functions = [value for value in vars(thing).values() if callable(value)]
        label = getattr(thing, "name", "")
        return f"{_qualified(functions[0])} ({label})" if functions else repr(thing)
    target = getattr(thing, "__wrapped__", thing)
    module = getattr(target, "__module__", None) or type(target).__module__
    name = getattr(target, "__qualname__", None) or getattr(target, "name", None)
    return f"{module}.{name or type(target).__qualname__}".removeprefix("casework.")
