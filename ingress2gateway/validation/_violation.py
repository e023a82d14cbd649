"""What validation reports: :class:`Violation`, and the collector the checks append to."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Violation:
    """One reason the apiserver would reject the object."""

    path: str
    """Field path as the apiserver prints it, e.g. ``spec.rules[0].backendRefs[0]``."""
    message: str
    rule: str
    """Which check: ``served``, ``metadata``, ``unknown-field``, ``schema``, ``list-type``, ``cel``."""

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


@dataclass
class Findings:
    violations: list[Violation] = field(default_factory=list)
    blocking: bool = False
    """An error of a type after which the apiserver does not evaluate CEL rules."""

    def add(self, path: str, message: str, rule: str, *, blocking: bool = False) -> None:
        self.violations.append(Violation(path=path, message=message, rule=rule))
        self.blocking = self.blocking or blocking


def child_path(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def item_path(path: str, key: int | str) -> str:
    return f"{path}[{key}]"
