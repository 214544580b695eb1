#!/usr/bin/env python3
"""The D-Bus man page against the API's sources: fails listing every method, signal, property,
error name and constant that org.ntms.Ntms1(5) does not document, or documents differently.

    check-dbus-page.py --page PAGE --vocabulary DUMP_PROGRAM --errors ERRORS_HPP
                       [--options OPTIONS_CPP] [--model MODEL_HPP] XML...

What the page must hold, per interface of the XML files:
  - in the interface's section (the .SH whose listing block says "interface NAME {"), a listing
    with every method and signal and its arguments (direction, signature, name) and every property
    with its signature, access and org.freedesktop.DBus.Property.EmitsChangedSignal annotation,
    exactly as in the XML, and nothing the XML does not have;
  - in the same section, a .TP entry whose tag starts with each member's name.
From the vocabulary table (common/ntms_vocabulary.h as DUMP_PROGRAM,
tests/common/dump-vocabulary, prints it): a .TP entry "PREFIX.Name (code, ...)" for every error
that travels on the bus, with the table's code; the NTMS_INJECT_*, NTMS_LM_* (job states),
NTMS_OPREQ_* and NTMS_OPSTATE_* constants, each a .TP entry "NAME (value)". From ERRORS_HPP: the
name for codes without one. From OPTIONS_CPP: a .TP entry for every InjectMedia option key,
"key (sig)". From MODEL_HPP: the medium states of ListMedia, each a .TP entry "name (value)".

After checking the page, the checker checks itself: it removes each documented item from the page
in turn, and changes each listed signature, and fails unless every such change is reported.
Uses only the Python standard library.
"""
import argparse
import functools
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

EMITS = "org.freedesktop.DBus.Property.EmitsChangedSignal"


# ---------------------------------------------------------------------------------------------
# The sources of truth

class Member:
    def __init__(self, kind, name, args=(), type_="", access="", emits="true"):
        self.kind = kind          # "method", "signal", "property"
        self.name = name
        self.args = list(args)    # [(direction or "", signature, name)]
        self.type = type_
        self.access = access
        self.emits = emits        # EmitsChangedSignal value; "true" when not annotated

    def listing(self):
        """The member as the page's listing must show it, whitespace-normalised."""
        if self.kind == "property":
            access = {"read": "readonly", "write": "writeonly", "readwrite": "readwrite"}
            text = f"{access.get(self.access, self.access)} {self.type} {self.name} = ...;"
            if self.emits != "true":
                text = f'@{EMITS}("{self.emits}") {text}'
            return text
        args = ", ".join(" ".join(p for p in a if p) for a in self.args)
        return f"{self.name}({args});"


def parse_xml(path):
    """{interface name: [Member]} of one introspection file."""
    out = {}
    root = ET.parse(path).getroot()
    for iface in root.iter("interface"):
        members = []
        for m in iface:
            name = m.get("name")
            if m.tag == "method":
                args = [(a.get("direction", "in"), a.get("type"), a.get("name", ""))
                        for a in m.findall("arg")]
                members.append(Member("method", name, args))
            elif m.tag == "signal":
                args = [("", a.get("type"), a.get("name", "")) for a in m.findall("arg")]
                members.append(Member("signal", name, args))
            elif m.tag == "property":
                emits = "true"
                for ann in m.findall("annotation"):
                    if ann.get("name") == EMITS:
                        emits = ann.get("value")
                members.append(Member("property", name, type_=m.get("type"),
                                      access=m.get("access"), emits=emits))
        out[iface.get("name")] = members
    return out


def strip_comments(text):
    text = re.sub(r"//[^\n]*", "", text)
    return re.sub(r"/\*.*?\*/", "", text, flags=re.S)


VOCABULARY_CONSTANTS = ("inject-action", "eject-action", "job-state", "opreq-type", "opreq-state")


def parse_vocabulary(dump_program):
    """(prefix, [(code, name)] of the bus errors, [(constant, value)]) from the table's dump."""
    out = subprocess.run([dump_program], check=True, capture_output=True, text=True).stdout
    prefix, errors, constants = None, [], []
    for line in out.splitlines():
        f = line.split("\t")
        if f[0] == "prefix":
            prefix = f[1]
        elif f[0] == "error" and f[4] == "bus":
            errors.append((int(f[2]), f[3]))
        elif f[0] in VOCABULARY_CONSTANTS:
            constants.append((f[1], int(f[2])))
    if not prefix or not errors or not constants:
        raise SystemExit(f"{dump_program}: no error prefix, bus errors or constants")
    return prefix, errors, constants


def parse_failed_name(hpp_path, prefix):
    """The name for codes without one, from errors.hpp."""
    text = strip_comments(open(hpp_path, encoding="utf-8").read())
    failed = re.search(r'error_failed\s*=\s*NTMS_DBUS_ERROR_PREFIX\s*"([^"]+)"', text)
    if not failed:
        raise SystemExit(f"{hpp_path}: error_failed not found")
    return prefix + failed.group(1)


CXX_SIGNATURE = {"uint32_t": "u", "int32_t": "i", "uint16_t": "q", "int16_t": "n",
                 "uint64_t": "t", "int64_t": "x", "uint8_t": "y", "bool": "b", "double": "d",
                 "std::string": "s", "sdbus::ObjectPath": "o"}


def parse_options(cpp_path):
    """[(key, signature)] of the InjectMedia options, from parse_inject_options."""
    text = strip_comments(open(cpp_path, encoding="utf-8").read())
    m = re.search(r"parse_inject_options\s*\([^)]*\)\s*\{", text)
    if not m:
        raise SystemExit(f"{cpp_path}: parse_inject_options not found")
    body = text[m.end():]
    keys = list(re.finditer(r'key\s*==\s*"(\w+)"', body))
    if not keys:
        raise SystemExit(f"{cpp_path}: no option keys found")
    out = []
    for i, k in enumerate(keys):
        end = keys[i + 1].start() if i + 1 < len(keys) else len(body)
        t = re.search(r"containsValueOfType<\s*([\w:]+)\s*>", body[k.end():end])
        if not t or t.group(1) not in CXX_SIGNATURE:
            raise SystemExit(f"{cpp_path}: the type of option '{k.group(1)}' is not recognised")
        out.append((k.group(1), CXX_SIGNATURE[t.group(1)]))
    return out


MODEL_ENUMS = {  # enum in model.hpp -> how the page names its values
    "MediumState": "",  # ListMedia's state strings: InLibrary -> in-library
}


def parse_model(hpp_path):
    """[(page name, value)] of the enums the page documents."""
    text = strip_comments(open(hpp_path, encoding="utf-8").read())
    out = []
    for enum, prefix in MODEL_ENUMS.items():
        m = re.search(r"enum\s+class\s+" + enum + r"\b[^{]*\{(.*?)\}", text, re.S)
        if not m:
            raise SystemExit(f"{hpp_path}: enum class {enum} not found")
        values = re.findall(r"(\w+)\s*=\s*(\d+)", m.group(1))
        if not values:
            raise SystemExit(f"{hpp_path}: enum class {enum} has no explicit values")
        for name, value in values:
            if prefix:
                shown = prefix + name.upper()
            else:
                shown = re.sub(r"(?<!^)([A-Z])", r"-\1", name).lower()
            out.append((shown, int(value)))
    return out


# ---------------------------------------------------------------------------------------------
# The page: roff to text, sections, listings and tags

ESCAPES = [
    (r"\(->", "->"), (r"\(<-", "<-"), (r"\(em", "--"), (r"\(en", "-"), (r"\(bu", "*"),
    (r"\(aq", "'"), (r"\(dq", '"'), (r"\(lq", '"'), (r"\(rq", '"'), (r"\(ti", "~"),
    (r"\(ha", "^"), (r"\(ga", "`"), (r"\(rs", "\\"),
]


def unescape(s):
    s = re.sub(r"\\f(\[[A-Za-z]*\]|[A-Za-z])", "", s)
    for a, b in ESCAPES:
        s = s.replace(a, b)
    s = s.replace(r"\-", "-").replace(r"\&", "").replace(r"\%", "").replace(r"\ ", " ")
    s = s.replace(r"\~", " ").replace(r"\|", "").replace(r"\^", "").replace(r"\c", "")
    return s.replace(r"\e", "\\")


def macro_args(rest):
    """The arguments of a macro line, with roff's double quotes."""
    args, cur, quoted, i = [], "", False, 0
    while i < len(rest):
        c = rest[i]
        if quoted:
            if c == '"':
                if i + 1 < len(rest) and rest[i + 1] == '"':
                    cur += '"'
                    i += 1
                else:
                    quoted = False
            else:
                cur += c
        elif c == '"':
            quoted = True
        elif c in " \t":
            if cur:
                args.append(cur)
                cur = ""
        else:
            cur += c
        i += 1
    if cur or quoted:
        args.append(cur)
    return args


FONT_MACROS = {"B", "I", "SM", "SB"}
ALTERNATING = {"BR", "RB", "BI", "IB", "IR", "RI"}


class Line:
    def __init__(self, kind, text, nofill=False):
        self.kind = kind      # "SH", "SS", "TP", "TQ", "text"
        self.text = text
        self.nofill = nofill


@functools.lru_cache(maxsize=None)
def render_line(raw):
    """(kind, text) of one input line; kind "nf"/"fi" for those requests, None for no text."""
    if raw.startswith(('.\\"', "'\\\"")) or raw == ".":
        return None, ""
    if raw.startswith((".", "'")):
        m = re.match(r"[.']\s*(\S+)\s*(.*)", raw)
        if not m:
            return None, ""
        name, rest = m.group(1), m.group(2)
        if name in ("SH", "SS"):
            return name, unescape(" ".join(macro_args(rest)))
        if name in ("TP", "TQ", "nf", "fi"):
            return name, ""
        if name in FONT_MACROS:
            return "text", unescape(" ".join(macro_args(rest)))
        if name in ALTERNATING:
            return "text", unescape("".join(macro_args(rest)))
        return None, ""  # other requests (PP, RS, RE, IP, br, TH, ...) carry no text we check
    return "text", unescape(raw)


def render(page_text):
    """The page as a list of Lines: section heads, tag markers and text."""
    out = []
    nofill = False
    for raw in page_text.split("\n"):
        kind, text = render_line(raw)
        if kind == "nf":
            nofill = True
        elif kind == "fi":
            nofill = False
        elif kind:
            out.append(Line(kind, text, nofill))
    return out


class Section:
    def __init__(self, title):
        self.title = title
        self.lines = []

    def tags(self):
        """The first text line after each .TP / .TQ."""
        found, want = [], False
        for line in self.lines:
            if line.kind in ("TP", "TQ"):
                want = True
            elif line.kind == "text" and want:
                found.append(line.text.strip())
                want = False
        return found

    def listing(self, interface):
        """The statements of the listing block 'interface NAME { ... };', or None."""
        text = [l.text for l in self.lines if l.kind == "text" and l.nofill]
        joined = "\n".join(text)
        m = re.search(r"\binterface\s+" + re.escape(interface) + r"\s*\{", joined)
        if not m:
            return None
        depth, i = 1, m.end()
        while i < len(joined) and depth:
            depth += {"{": 1, "}": -1}.get(joined[i], 0)
            i += 1
        body = joined[m.end():i - 1]
        statements = {"methods": [], "signals": [], "properties": []}
        part = None
        for chunk in re.split(r"(\b(?:methods|signals|properties):)", body):
            chunk = chunk.strip()
            if chunk in ("methods:", "signals:", "properties:"):
                part = chunk[:-1]
                continue
            if part is None:
                continue
            for statement in chunk.split(";"):
                statement = " ".join(statement.split())
                if statement:
                    statements[part].append(normalise(statement + ";"))
        return statements


def normalise(statement):
    """Whitespace around punctuation does not matter, nor a property's shown value."""
    s = re.sub(r"\s*([(),])\s*", r"\1", statement)
    s = s.replace(",", ", ")
    return re.sub(r"\s*=\s*[^;]*;$", " = ...;", s)


def sections(lines):
    out = [Section("")]
    for line in lines:
        if line.kind == "SH":
            out.append(Section(line.text))
        else:
            out[-1].lines.append(line)
    return out


def tag_names(tags):
    """The word each tag starts with (a member, an error name, a constant)."""
    return [re.match(r"[\w.\-]*", t).group(0) for t in tags]


# ---------------------------------------------------------------------------------------------
# The check

class Sources:
    def __init__(self, interfaces, errors, prefix, failed, options, constants):
        self.interfaces = interfaces
        self.errors = errors
        self.prefix = prefix
        self.failed = failed
        self.options = options
        self.constants = constants


def check(page_text, src):
    """Every problem found, one line each."""
    problems = []
    secs = sections(render(page_text))
    all_tags = [t for s in secs for t in s.tags()]
    by_word = {}  # first word of a tag -> the tags
    for t in all_tags:
        by_word.setdefault(tag_names([t])[0], []).append(t)

    for iface, members in src.interfaces.items():
        owners = [(s, s.listing(iface)) for s in secs]
        owners = [(s, listed) for s, listed in owners if listed is not None]
        if len(owners) != 1:
            problems.append(f"interface {iface}: {len(owners)} sections list it, not 1 "
                            f"(a block 'interface {iface} {{ ... }};' inside .nf/.fi)")
            continue
        sec, listed = owners[0]
        names = tag_names(sec.tags())
        plural = {"method": "methods", "signal": "signals", "property": "properties"}
        for m in members:
            want = normalise(m.listing())
            if want not in listed[plural[m.kind]]:
                close = [s for s in listed[plural[m.kind]]
                         if re.search(r"(^|[\s)])" + re.escape(m.name) + r"[\s(=]", s)]
                problems.append(f"{iface}: {m.kind} {m.name}: the listing of section "
                                f"'{sec.title}' should show '{want}'"
                                + (f", it shows '{close[0]}'" if close else ", it has nothing"))
            if m.name not in names:
                problems.append(f"{iface}: {m.kind} {m.name} has no .TP entry in section "
                                f"'{sec.title}'")
        for part, statements in listed.items():
            known = {normalise(m.listing()) for m in members if plural[m.kind] == part}
            for s in statements:
                if s not in known:
                    problems.append(f"{iface}: the listing shows '{s}' under {part}:, which the "
                                    f"XML does not have")

    def parenthesised(word):
        """The text in parentheses after word in its tags, split at commas."""
        out = []
        for t in by_word.get(word, []):
            m = re.match(re.escape(word) + r"\s*\(([^)]*)\)", t)
            if m:
                out.append([p.strip() for p in m.group(1).split(",")])
        return out

    for code, name in src.errors:
        shown = parenthesised(src.prefix + name)
        if not shown:
            problems.append(f"error {src.prefix}{name} ({code}) has no .TP entry "
                            f"'{src.prefix}{name} ({code}, ...)'")
        elif not any(p[0] == str(code) for p in shown):
            problems.append(f"error {src.prefix}{name}: the page gives code "
                            f"{shown[0][0]}, the table {code}")
    if src.failed not in by_word:
        problems.append(f"error {src.failed} (codes without a name) has no .TP entry")

    for key, sig in src.options:
        if [sig] not in parenthesised(key):
            problems.append(f"InjectMedia option '{key}' has no .TP entry '{key} ({sig})'")

    for name, value in src.constants:
        shown = parenthesised(name)
        if not shown:
            problems.append(f"constant {name} has no .TP entry '{name} ({value})'")
        elif [str(value)] not in shown:
            problems.append(f"constant {name}: the page gives '{name} ({', '.join(shown[0])})', "
                            f"the code {value}")
    return problems


def self_check(page_text, src):
    """Changes to the page the check must report; the ones it missed."""
    missed = []
    lines = page_text.split("\n")
    tagged = {}  # first word of a tag -> indexes of the tag's text lines
    listing = []  # indexes of the lines inside .nf/.fi
    nofill = False
    for i, raw in enumerate(lines):
        if raw.startswith(".nf"):
            nofill = True
        elif raw.startswith(".fi"):
            nofill = False
        elif nofill:
            listing.append(i)
        if raw.startswith((".TP", ".TQ")) and i + 1 < len(lines):
            text = render(lines[i + 1])
            if text and text[0].kind == "text":
                tagged.setdefault(tag_names([text[0].text.strip()])[0], []).append(i + 1)
    wanted = {m.name for ms in src.interfaces.values() for m in ms}
    wanted |= {src.prefix + n for _, n in src.errors} | {src.failed}
    wanted |= {k for k, _ in src.options} | {n for n, _ in src.constants}
    for word, where in sorted(tagged.items()):
        if word not in wanted:
            continue
        changed = [".B removed" if i in where else raw for i, raw in enumerate(lines)]
        if not check("\n".join(changed), src):
            missed.append(f"the .TP entries of {word} removed")
    for iface, members in src.interfaces.items():
        for m in members:
            if m.kind == "property":
                pattern = re.compile(r"^(\s*read\w*\s+)(\S+\s+" + re.escape(m.name) + r"\b.*)$")
            else:
                pattern = re.compile(r"^(\s*" + re.escape(m.name) + r"\s*\()(.*)$")
            for j in listing:
                if pattern.search(lines[j]):
                    changed = list(lines)
                    changed[j] = pattern.sub(r"\g<1>x\g<2>", lines[j])
                    if not check("\n".join(changed), src):
                        missed.append(f"the listing of {iface}.{m.name} changed: {changed[j]}")
    return missed


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--page", required=True)
    ap.add_argument("--vocabulary", required=True, help="tests/common/dump-vocabulary")
    ap.add_argument("--errors", required=True, help="dbus/errors.hpp")
    ap.add_argument("--options", help="dbus/options.cpp")
    ap.add_argument("--model", help="daemon/model.hpp")
    ap.add_argument("xml", nargs="+")
    a = ap.parse_args()

    interfaces = {}
    for path in a.xml:
        interfaces.update(parse_xml(path))
    prefix, errors, constants = parse_vocabulary(a.vocabulary)
    src = Sources(interfaces, errors, prefix, parse_failed_name(a.errors, prefix),
                  parse_options(a.options) if a.options else [],
                  constants + (parse_model(a.model) if a.model else []))
    page_text = open(a.page, encoding="utf-8").read()

    count = sum(len(m) for m in interfaces.values())
    print(f"{len(interfaces)} interfaces, {count} members, {len(src.errors)} error names, "
          f"{len(src.options)} options, {len(src.constants)} constants against {a.page}")
    problems = check(page_text, src)
    for p in problems:
        print(f"NOT DOCUMENTED: {p}")
    if problems:
        print(f"{len(problems)} problem(s)")
        return 1
    missed = self_check(page_text, src)
    for m in missed:
        print(f"CHECKER BLIND: {m} went unreported")
    if missed:
        return 1
    print("the page documents every one")
    return 0


if __name__ == "__main__":
    sys.exit(main())
