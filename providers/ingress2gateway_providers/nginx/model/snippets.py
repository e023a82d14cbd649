"""What the model understands of nginx snippets: the directives that answer or deny.

A snippet is nginx configuration pasted into the location (``configuration-snippet``) or the
server (``server-snippet``) the controller writes. The model cannot run nginx, but it reads
the directives that decide whether a request reaches the backend at all (nginx's
``ngx_http_access_module`` and ``ngx_http_rewrite_module``): ``allow`` / ``deny`` lines
(first match wins; ``deny all`` after allows is an allow-list), ``return`` with a status
(and a URL for redirects), and, in a server snippet, ``location`` blocks holding those. Any
other directive is taken as not changing where the request goes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

# What ends a statement or opens or closes a block. Statements are the text between two of
# them, found in one pass: a pattern that also matched the statement itself retried from every
# position of a long value with none of them (100 KB: minutes).
_DELIMITER = re.compile(r"[;{}]")


@dataclass
class Block:
    """The directives of one snippet level that decide a request's fate."""

    allow: list[str] = field(default_factory=list)
    deny: list[str] = field(default_factory=list)
    returns: tuple[int, str] | None = None
    locations: list[tuple[str, str, Block]] = field(default_factory=list)
    """``location`` blocks of a server snippet: (modifier, name, what they hold)."""

    @property
    def denies_everyone(self) -> bool:
        return "all" in self.deny and not self.allow

    conditional_denial: bool = False
    """An ``if`` block (or another nested one) denies or answers 401/403: some requests are
    refused on a condition the model does not evaluate."""

    def guards(self) -> list[str]:
        """The access controls this block makes, as guards: an allow-list (allows, then
        ``deny all``), denied addresses, or a conditional denial (``authorization``)."""
        guards = ["authorization"] if self.conditional_denial else []
        if self.allow and "all" in self.deny:
            allowed = sorted(a for a in self.allow if a != "all")
            return guards + ([f"ip-allow {','.join(allowed)}"] if allowed else [])
        denied = sorted(d for d in self.deny if d != "all")
        return guards + ([f"ip-deny {','.join(denied)}"] if denied else [])


def statements(text: str) -> Iterator[tuple[str, str]]:
    """Each statement of ``text`` (stripped) with what ends it: ``;``, ``{`` or ``}``; text
    after the last of them is no statement."""
    start = 0
    for match in _DELIMITER.finditer(text):
        yield text[start : match.start()].strip(), match.group()
        start = match.end()


def parse(text: str) -> Block:
    """The snippet's top level, and its ``location`` blocks."""
    root = Block()
    stack: list[Block] = [root]
    pending_location: tuple[str, str] | None = None
    for statement, end in statements(text):
        words = statement.split()
        current = stack[-1]
        if end == "{":
            if words and words[0] == "location" and len(words) >= 2 and len(stack) == 1:
                modifier, name = (words[1], words[2]) if len(words) >= 3 else ("", words[1])
                pending_location = (modifier, name.strip('"'))
                block = Block()
                current.locations.append((pending_location[0], pending_location[1], block))
                stack.append(block)
            else:
                stack.append(Block())  # an if, a nested block: not understood, kept apart
            continue
        if end == "}":
            if len(stack) > 1:
                done = stack.pop()
                if done not in (loc for _, _, loc in stack[-1].locations) and (
                    done.deny
                    or (done.returns and done.returns[0] in (401, 403, 444))
                    or done.conditional_denial
                ):
                    stack[-1].conditional_denial = True
            continue
        if not words:
            continue
        if words[0] == "allow" and len(words) == 2:
            current.allow.append(words[1])
        elif words[0] == "deny" and len(words) == 2:
            current.deny.append(words[1])
        elif (
            words[0] == "return"
            and len(words) >= 2
            and words[1].isdigit()
            and current.returns is None
        ):
            current.returns = (int(words[1]), " ".join(words[2:]).strip('"'))
    return root
