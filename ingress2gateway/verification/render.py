"""``verify``'s findings for people: differences grouped by the input object whose requests
change, each request with both answers side by side."""

from __future__ import annotations

from itertools import groupby

from ingress2gateway.verification.compare import Difference, VerifyResult

_WIDTH = 44


def render_text(result: VerifyResult, *, show_explained: bool = True) -> str:
    lines: list[str] = []
    shown = result.differences if show_explained else result.unexplained
    for subject, group in groupby(sorted(shown, key=_subject_key), key=lambda d: _subject_name(d)):
        lines.append(subject)
        for difference in group:
            lines.extend(_difference(difference))
    summary = result.summary()
    lines.append(
        f"verified {summary['requests']} request(s): {summary['differences']} answered "
        f"differently ({summary['unexplained']} not explained by the report)"
    )
    return "\n".join(lines) + "\n"


def _subject_key(difference: Difference) -> tuple[str, str]:
    return (_subject_name(difference), difference.request.display())


def _subject_name(difference: Difference) -> str:
    subject = difference.subject
    if subject is None:
        return "(no input object decides these requests)"
    who = f"{subject.namespace}/{subject.name}" if subject.namespace else subject.name
    return f"{subject.kind} {who}"


def _difference(difference: Difference) -> list[str]:
    mark = "explained" if difference.explained else "NOT EXPLAINED"
    why = f" by {', '.join(difference.explained_by)}" if difference.explained else ""
    source = difference.source.outcome.display()
    target = difference.target.outcome.display()
    lines = [f"  {difference.request.display()}  [{mark}{why}]"]
    if len(source) <= _WIDTH and len(target) <= _WIDTH:
        lines.append(f"    before: {source:<{_WIDTH}}  after: {target}")
    else:
        lines.append(f"    before: {source}")
        lines.append(f"    after:  {target}")
    return lines
