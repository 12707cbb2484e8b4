#!/usr/bin/env python3
"""Text shown to people is in Vietnamese (STYLE.md): every error message built in
services/ and common/ (absl::...Error(...), import errors, webhook refusals) must not be
English-only. Machine parts stay as they are (field paths, reason codes, enum words,
resource names, file:line:column).

A message is English-only when a string literal in it has no Vietnamese letter and
holds two or more English function words ("must be", "is not", "of the" ...).

Files not yet translated are listed in NOT_YET_TRANSLATED with how many English-only
messages they hold: the numbers may only shrink (more fails; fewer fails too until the
number is lowered, so the list keeps up), and every file not listed is checked fully. Usage: vietnamese_messages_test.py <source root>
"""
import pathlib
import re
import sys

# Calls whose string arguments reach people as an error text.
CALL = re.compile(
    r"\b(?:absl::(?:InvalidArgument|FailedPrecondition|PermissionDenied|NotFound|Unavailable|"
    r"Unauthenticated|AlreadyExists|ResourceExhausted|OutOfRange|Aborted|DeadlineExceeded)Error"
    r"|errors\.Add|Refuse|NotVisible)\s*\(")
LITERAL = re.compile(r'"((?:[^"\\\n]|\\.)*)"')
ENGLISH = {
    "the", "is", "are", "was", "must", "be", "not", "may", "only", "has", "have", "no",
    "cannot", "can", "to", "of", "for", "with", "and", "or", "a", "an", "it", "this", "that",
    "already", "unknown", "missing", "empty", "invalid", "required", "should", "does", "at",
    "from", "by", "than", "more", "first", "again", "yet", "been", "who", "which", "its",
}
VIETNAMESE = re.compile(
    "[àáảãạăắằẳẵặâấầẩẫậđèéẻẽẹêếềểễệìíỉĩịòóỏõọôốồổỗộơớờởỡợùúủũụưứừửữựỳýỷỹỵ"
    "ÀÁẢÃẠĂẮẰẲẴẶÂẤẦẨẪẬĐÈÉẺẼẸÊẾỀỂỄỆÌÍỈĨỊÒÓỎÕỌÔỐỒỔỖỘƠỚỜỞỠỢÙÚỦŨỤƯỨỪỬỮỰỲÝỶỸỴ]")

# Error texts still in English: file -> how many (debt: lower it, never raise it).
NOT_YET_TRANSLATED = {
    "common/auth/jwt.cc": 11,
    "common/campaign/deadlines.cc": 1,
    "common/eventstore/event_store.cc": 10,
    "common/eventstore/memory_event_store.cc": 2,
    "common/eventstore/rocksdb_event_store.cc": 7,
    "common/paging/page_token.cc": 2,
    "common/server/admin_service.cc": 1,
    "common/server/event_stream.h": 4,
    "common/server/flags.cc": 3,
    "common/server/server.cc": 4,
    "services/approvals/api/approvals_service.cc": 4,
    "services/approvals/store/approvals_store.cc": 2,
    "services/bdtxctl/admin_commands.cc": 9,
    "services/bdtxctl/auth_commands.cc": 1,
    "services/bdtxctl/cli.cc": 3,
    "services/bdtxctl/demo_commands.cc": 2,
    "services/bdtxctl/directory_commands.cc": 1,
    "services/bdtxctl/grading_commands.cc": 1,
    "services/bdtxctl/notifications_commands.cc": 1,
    "services/bdtxctl/plans_commands.cc": 3,
    "services/bdtxctl/token_commands.cc": 1,
    "services/directory/api/directory_service.cc": 12,
    "services/directory/domain/routing.cc": 9,
    "services/directory/store/directory_store.cc": 1,
    "services/gateway/main.cc": 3,
    "services/gateway/transcoder.cc": 2,
    "services/grading/api/grading_service.cc": 4,
    "services/grading/domain/grading_model.cc": 26,
    "services/grading/store/grading_store.cc": 3,
    "services/notifications/api/notifications_service.cc": 2,
    "services/notifications/delivery/net.cc": 7,
    "services/notifications/main.cc": 2,
    "services/plans/api/plans_service.cc": 22,
    "services/plans/main.cc": 2,
    "services/plans/store/plans_store.cc": 3,
    "services/support/api/support_service.cc": 11,
    "services/support/domain/support_model.cc": 16,
    "services/support/store/support_store.cc": 1,
}


def strip_comments(text):
    out, i, n = [], 0, len(text)
    while i < n:
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            i = n if j < 0 else j + 2
        elif text[i] == '"':
            m = LITERAL.match(text, i)
            if not m:
                out.append(text[i])
                i += 1
                continue
            out.append(m.group(0))
            i = m.end()
        elif text[i] == "'" and i + 2 < n:
            j = i + 1
            if text[j] == "\\":
                j += 1
            j = text.find("'", j + 1)
            j = i + 1 if j < 0 else j + 1
            out.append(text[i:j])
            i = j
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def call_arguments(text, start):
    """The text from `start` (just after the opening parenthesis) to its match."""
    depth, i = 1, start
    while i < len(text) and depth:
        c = text[i]
        if c == '"':
            m = LITERAL.match(text, i)
            i = m.end() if m else i + 1
            continue
        depth += c == "("
        depth -= c == ")"
        i += 1
    return text[start:i - 1]


def english_only(literal):
    if VIETNAMESE.search(literal):
        return False
    words = re.findall(r"[A-Za-z]+", re.sub(r"\{[^}]*\}|<[^>]*>|'[^']*'", " ", literal))
    return sum(w.lower() in ENGLISH for w in words) >= 2


def findings(path):
    text = strip_comments(path.read_text(encoding="utf-8"))
    out = []
    for m in CALL.finditer(text):
        args = call_arguments(text, m.end())
        literals = [l.group(1) for l in LITERAL.finditer(args)]
        joined = " ".join(literals)
        if literals and not VIETNAMESE.search(joined) and english_only(joined):
            line = text.count("\n", 0, m.start()) + 1
            out.append(f"{path}:{line}: {joined[:100]}")
    return out


def main():
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    failures, debt, stale = [], 0, []
    for top in ("services", "common"):
        for path in sorted((root / top).rglob("*")):
            if path.suffix not in (".cc", ".h") or "_test" in path.name or "testing" in path.parts:
                continue
            rel = str(path.relative_to(root))
            found = findings(path)
            if rel in NOT_YET_TRANSLATED:
                debt += len(found)
                allowed = NOT_YET_TRANSLATED[rel]
                if len(found) > allowed:
                    failures += found
                elif len(found) < allowed:
                    stale.append(f"{rel}: {len(found)} English-only messages left, listed as "
                                 f"{allowed}: lower the number (or remove the file at 0)")
                continue
            failures += found
    for f in failures:
        print(f"English-only error text (translate it, STYLE.md): {f}")
    for line in stale:
        print(line)
    print(f"{len(NOT_YET_TRANSLATED)} files not yet translated, {debt} messages")
    return 1 if failures or stale else 0


if __name__ == "__main__":
    sys.exit(main())
