#!/usr/bin/env python3
"""libntms's <ntmsapi.h> against the ntmsapi.h of mingw-w64 (Debian's mingw-w64-common), on
x86_64 and i686, with and without UNICODE.

    check-mingw-header.py --ours INCLUDE_DIR [--mingw MINGW_INCLUDE_DIR] [--clang CLANG]
                          [--cc CC] [--self-test]

What mingw-w64's header declares is read from it: every object-like macro, every enumerator,
every structure (its tag, typedef names and pointer typedefs, each field and each member of a
nested union), every plain typedef, every function and every A/W name alias. A probe program
naming all of it is compiled, never run, four times for each side:
  - the reference: clang for the Windows targets x86_64-w64-mingw32 and i686-w64-mingw32 (their
    LLP64 widths and 8-byte alignment of 64-bit integers) reading mingw-w64's <windows.h> and
    <ntmsapi.h>;
  - ours: gcc for x86_64-linux and, with -m32 -ffreestanding (no i386 C library needed, since
    the headers want only <stddef.h> and <stdint.h>), for i686-linux, reading ours;
each with and without -DUNICODE. The probe turns every value, sizeof, alignment and offsetof
into a line of the assembly output (an asm immediate), and the A or W name each alias expands to
into a string. Both sides must give the same lines. Functions must exist with the same return
and parameter types: a pointer to each, typed from mingw-w64's prototype, must initialise
without a diagnostic (-Werror), and the spelled types must match word for word (a top-level
const of a parameter does not change a C function type, so only the words show it). The ERROR_*
and RPC_S_* codes ours defines must have winerror.h's values.

--self-test then compiles doctored copies of ours (a value, a field type, a union member, an
alignment, a parameter type, a const, an alias, an error code changed or removed) and fails
unless the check reports each. TAP output.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

MINGW_DEFAULT = "/usr/share/mingw-w64/include"
ARCHES = ("x86_64", "i686")
MODES = ("A", "UNICODE")
# mingw-w64's spelling of a type where RSM's (and ours) is another.
SPELLING = {"WINBOOL": "BOOL"}


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def join_continuations(text):
    return text.replace("\\\n", " ")


# ---------------------------------------------------------------------------------------------
# What a header declares

class Vocabulary:
    def __init__(self):
        self.values = []      # object-like macros with a value, enumerators: names
        self.macros = []      # every object-like or function-like macro: names
        self.aliases = []     # macros that pick the A or W name
        self.enums = []       # enum tags
        self.records = []     # (tag or None, [typedef names], [pointer typedefs], [fields])
        self.typedefs = []    # plain typedef names
        self.functions = {}   # name -> (return type, [parameter types])


def parameter_type(p):
    p = " ".join(p.split())
    if p == "void":
        return None
    # The last identifier is the parameter's name; what precedes it is its type.
    m = re.match(r"(.*?)(\w+)\s*$", p)
    t = m.group(1).strip()
    t = re.sub(r"\s*\*\s*", " *", t).strip()
    return " ".join(SPELLING.get(w, w) for w in t.split())


def functions_of(text):
    out = {}
    flat = " ".join(text.split())
    for ret, name, params in re.findall(r"(\w+)\s+WINAPI\s+(\w+)\s*\(([^)]*)\)\s*;", flat):
        types = [t for t in (parameter_type(p) for p in params.split(",")) if t is not None]
        out.setdefault(name, (SPELLING.get(ret, ret), types))
    return out


def fields_of(body):
    """[(field, is_union_member)] of a structure body; union members as 'Info.Drive'."""
    out = []
    for m in re.finditer(r"union\s*\{(.*?)\}\s*(\w+)\s*;", body, flags=re.S):
        for member in re.findall(r"\w+\s+(\w+)\s*;", m.group(1)):
            out.append(f"{m.group(2)}.{member}")
    body = re.sub(r"union\s*\{.*?\}\s*(\w+)\s*;", r"UNION \1;", body, flags=re.S)
    for decl in body.split(";"):
        decl = decl.strip()
        if not decl:
            continue
        m = re.search(r"(\w+)\s*(\[[^\]]*\])?\s*$", decl)
        out.append(m.group(1))
    # Union members after the union itself, as offsetof reads them.
    plain = [f for f in out if "." not in f]
    nested = [f for f in out if "." in f]
    return plain + nested


def parse_mingw(text):
    text = join_continuations(strip_comments(text))
    text = re.sub(r"#ifdef PRE_SEVIL.*?#endif", "", text, flags=re.S)
    v = Vocabulary()
    for name, params, value in re.findall(r"(?m)^\s*#\s*define\s+(\w+)(\([^)]*\))?[ \t]*(.*)$",
                                          text):
        if name.startswith("_INCL_"):
            continue
        v.macros.append(name)
        if params:
            continue
        value = value.strip()
        if value.startswith("__MINGW_NAME_AW"):
            v.aliases.append(name)
        elif value and not value.startswith("{"):
            v.values.append(name)
    body = re.sub(r"(?m)^\s*#.*$", "", text)
    for tag, enumerators in re.findall(r"enum\s+(\w+)\s*\{(.*?)\}", body, flags=re.S):
        v.enums.append(tag)
        for e in enumerators.split(","):
            e = e.strip()
            if e:
                v.values.append(re.match(r"(\w+)", e).group(1))
    for tag, fields, names in re.findall(
            r"typedef\s+struct\s+(\w+)?\s*\{((?:[^{}]|\{[^{}]*\})*)\}\s*([^;]*);", body):
        plain = [n.strip() for n in names.split(",") if n.strip() and "*" not in n]
        pointers = [n.replace("*", "").strip() for n in names.split(",") if "*" in n]
        v.records.append((tag or None, plain, pointers, fields_of(fields)))
    for old, new in re.findall(r"typedef\s+(\w+\s*\**)\s*(\w+)\s*;", body):
        v.typedefs.append(new)
    v.functions = functions_of(body)
    return v


def our_error_codes(texts):
    codes = []
    for text in texts:
        codes += re.findall(r"(?m)^\s*#\s*define\s+((?:ERROR|RPC_S)_\w+)\s+\d+", text)
    return codes


# ---------------------------------------------------------------------------------------------
# The probe

PROBE_HEAD = r"""
#define NTMS_PROBE_STR_(x) #x
#define NTMS_PROBE_STR(x) NTMS_PROBE_STR_(x)
/* A value as two 32-bit halves: x86_64 immediates wider than 32 bits are not accepted. */
#define NTMS_PROBE(key, value)                                                                     \
    __asm__ volatile(".ascii \"@ntms@ " key " %c0 %c1\""                                           \
                     :                                                                             \
                     : "i"((int)(unsigned)((unsigned long long)(long long)(value) & 0xffffffffu)), \
                       "i"((int)(unsigned)((unsigned long long)(long long)(value) >> 32)))
#define NTMS_PROBE_NAME(key, name)                                                                 \
    __asm__ volatile(".ascii \"@ntms@ " key " " NTMS_PROBE_STR(name) "\"")
"""


def probe_source(v, errors, reference):
    lines = []
    if reference:
        lines += ["#include <windows.h>", "#include <ntmsapi.h>"]
    else:
        lines += ["#include <ntmsapi.h>"]
    lines += ["#include <stddef.h>", PROBE_HEAD]
    for name in v.macros:
        lines += [f"#ifndef {name}", f"#error \"no macro {name}\"", "#endif"]
    for name, (ret, types) in sorted(v.functions.items()):
        params = ", ".join(types) or "void"
        lines.append(f"{ret} (WINAPI *ntms_probe_fn_{name})({params}) = {name};")
    lines.append("void ntms_probe(void) {")
    for name in v.values:
        lines.append(f'    NTMS_PROBE("value {name}", {name});')
    for name in errors:
        lines.append(f'    NTMS_PROBE("value {name}", {name});')
    for tag in v.enums:
        lines.append(f'    NTMS_PROBE("sizeof enum {tag}", sizeof(enum {tag}));')
    for name in v.typedefs:
        lines.append(f'    NTMS_PROBE("sizeof {name}", sizeof({name}));')
    for tag, names, pointers, fields in v.records:
        if tag:
            lines.append(f'    NTMS_PROBE("sizeof struct {tag}", sizeof(struct {tag}));')
        for n in names:
            lines.append(f'    NTMS_PROBE("sizeof {n}", sizeof({n}));')
            lines.append(f'    NTMS_PROBE("alignof {n}", __alignof__({n}));')
            for f in fields:
                lines.append(f'    NTMS_PROBE("offsetof {n}.{f}", offsetof({n}, {f}));')
                lines.append(f'    NTMS_PROBE("sizeof {n}.{f}", sizeof((({n} *)0)->{f}));')
        for p in pointers:
            lines.append(f'    NTMS_PROBE("sizeof *{p}", sizeof(*({p})0));')
            if names:
                lines.append(f'    {{ {p} ntms_probe_p = ({names[0]} *)0; (void)ntms_probe_p; }}')
    for name in v.aliases:
        lines.append(f'    NTMS_PROBE_NAME("alias {name}", {name});')
    lines.append("}")
    return "\n".join(lines) + "\n"


def compile_probe(cmd, source, workdir, label):
    path = os.path.join(workdir, f"probe-{label}.c")
    with open(path, "w", encoding="utf-8") as f:
        f.write(source)
    r = subprocess.run(cmd + ["-S", "-o", "-", path], capture_output=True, text=True)
    if r.returncode != 0:
        return None, r.stderr
    out = {}
    for line in r.stdout.splitlines():
        m = re.search(r'\.ascii\s+"@ntms@ (.*)"', line)
        if not m:
            continue
        words = m.group(1).split(" ")
        if words[0] == "alias":
            out[f"alias {words[1]}"] = words[2]
        else:
            low, high = int(words[-2]), int(words[-1])
            value = ((high & 0xffffffff) << 32) | (low & 0xffffffff)
            if value >= 1 << 63:
                value -= 1 << 64
            out[" ".join(words[:-2])] = str(value)
    return out, ""


def reference_cmd(clang, mingw, arch, mode):
    resource = subprocess.run([clang, "-print-resource-dir"], capture_output=True, text=True,
                              check=True).stdout.strip()
    cmd = [clang, f"--target={arch}-w64-mingw32", "-nostdinc", "-isystem",
           os.path.join(resource, "include"), "-isystem", mingw, "-w"]
    return cmd + (["-DUNICODE", "-D_UNICODE"] if mode == "UNICODE" else [])


def our_cmd(cc, include, arch, mode):
    cmd = [cc, "-std=c11", "-I", include, "-Wall", "-Werror", "-Wno-unused-variable"]
    if arch == "i686":
        cmd += ["-m32", "-ffreestanding"]
    return cmd + (["-DUNICODE"] if mode == "UNICODE" else [])


# ---------------------------------------------------------------------------------------------
# The comparison

def compare(reference, ours, label):
    problems = []
    for key, value in reference.items():
        if key not in ours:
            problems.append(f"{label}: {key}: ours has none, mingw-w64 {value}")
        elif ours[key] != value:
            problems.append(f"{label}: {key} is {ours[key]}, mingw-w64 {value}")
    return problems


def compare_spelling(v, ours_funcs):
    problems = []
    for name, (ret, types) in sorted(v.functions.items()):
        if name not in ours_funcs:
            problems.append(f"function {name}: not declared WINAPI in ours")
        elif ours_funcs[name] != (ret, types):
            o = ours_funcs[name]
            problems.append(f"function {name}: ours {o[0]} ({', '.join(o[1])}), mingw-w64 "
                            f"{ret} ({', '.join(types)})")
    return problems


def read_ours(include):
    texts = []
    for name in sorted(os.listdir(include)):
        if name.startswith("ntmsapi") and name.endswith(".h"):
            with open(os.path.join(include, name), encoding="utf-8") as f:
                texts.append(strip_comments(f.read()))
    return texts


def check_ours(v, references, include, cc, workdir, errors):
    """[problems] of the headers in include against the reference results."""
    texts = read_ours(include)
    problems = compare_spelling(v, functions_of("\n".join(texts)))
    for arch in ARCHES:
        for mode in MODES:
            label = f"{arch}/{mode}"
            ours, err = compile_probe(our_cmd(cc, include, arch, mode),
                                      probe_source(v, errors, False), workdir,
                                      "ours-" + label.replace("/", "-"))
            if ours is None:
                shown = [l for l in err.splitlines() if "error" in l][:20]
                problems.append(f"{label}: the probe does not compile with ours:")
                problems += ["  " + l for l in shown]
                continue
            problems += compare(references[label], ours, label)
    return problems


# ---------------------------------------------------------------------------------------------
# The self-test: doctored copies of ours must be reported

DOCTORED = [
    ("an enumerator's value", "ntmsapi_objects.h",
     "NTMS_DRIVESTATE_UNLOADED = 5", "NTMS_DRIVESTATE_UNLOADED = 4"),
    ("a macro's value", "ntmsapi_objects.h",
     "#define NTMS_BARCODE_LENGTH 64", "#define NTMS_BARCODE_LENGTH 32"),
    ("a field's type", "ntmsapi_objects.h",
     "    WORD MaxOpenSecs;", "    DWORD MaxOpenSecs;"),
    ("a union member removed", "ntmsapi_requests.h",
     "        NTMS_COMPUTERINFORMATION Computer;\n    } Info;\n} NTMS_OBJECTINFORMATIONA",
     "    } Info;\n} NTMS_OBJECTINFORMATIONA"),
    ("two fields swapped", "ntmsapi_objects.h",
     "    DWORD NumberOfHeads;\n    DWORD DeviceType;\n} NTMS_DRIVETYPEINFORMATIONA;",
     "    DWORD DeviceType;\n    DWORD NumberOfHeads;\n} NTMS_DRIVETYPEINFORMATIONA;"),
    ("LARGE_INTEGER's 8-byte alignment", "ntmsapi.h",
     "} NTMS_ALIGN8 LARGE_INTEGER;", "} LARGE_INTEGER;"),
    ("a parameter's type", "ntmsapi.h",
     "DWORD WINAPI AccessNtmsLibraryDoor(HANDLE hSession, LPNTMS_GUID lpLibraryId, DWORD dwAction);",
     "DWORD WINAPI AccessNtmsLibraryDoor(HANDLE hSession, LPNTMS_GUID lpLibraryId, WORD dwAction);"),
    ("a parameter's const", "ntmsapi.h",
     "DWORD WINAPI EnumerateNtmsObject(HANDLE hSession, const LPNTMS_GUID lpContainerId,",
     "DWORD WINAPI EnumerateNtmsObject(HANDLE hSession, LPNTMS_GUID lpContainerId,"),
    ("a function removed", "ntmsapi.h",
     "DWORD WINAPI ExportNtmsDatabase(HANDLE hSession);\n", ""),
    ("an A/W alias pointing the wrong way", "ntmsapi_objects.h",
     "#define NTMS_PMIDINFORMATION NTMS_NAME_AW(NTMS_PMIDINFORMATION)",
     "#define NTMS_PMIDINFORMATION NTMS_PMIDINFORMATIONW"),
    ("an error code's value", "ntmsapi.h",
     "#define ERROR_NOT_FOUND 1168", "#define ERROR_NOT_FOUND 1169"),
]


def doctor(include, workdir, what, file, old, new):
    copy = os.path.join(workdir, "doctored")
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(include, copy)
    path = os.path.join(copy, file)
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if old not in text:
        return None
    with open(path, "w", encoding="utf-8") as f:
        f.write(text.replace(old, new, 1))
    return copy


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ours", required=True, help="the directory of our ntmsapi.h")
    ap.add_argument("--mingw", default=MINGW_DEFAULT)
    ap.add_argument("--clang", default="clang")
    ap.add_argument("--cc", default="gcc")
    ap.add_argument("--self-test", action="store_true")
    a = ap.parse_args()

    header = os.path.join(a.mingw, "ntmsapi.h")
    for path, package in ((header, "mingw-w64-common"),):
        if not os.path.exists(path):
            print(f"Bail out! {path} missing: install {package} (tools/deps.sh)")
            return 1
    for tool, package in ((a.clang, "clang"), (a.cc, "gcc")):
        if not shutil.which(tool):
            print(f"Bail out! {tool} missing: install {package} (tools/deps.sh)")
            return 1
    with open(header, encoding="utf-8") as f:
        v = parse_mingw(f.read())
    errors = our_error_codes(read_ours(a.ours))

    results = []
    # The parse of mingw-w64's header must have found what it holds, or the rest proves little.
    union = [f for r in v.records if "NTMS_OBJECTINFORMATIONA" in r[1] for f in r[3] if "." in f]
    counts = [f"{len(v.functions)} functions", f"{len(v.values)} values",
              f"{len(v.records)} structures", f"{sum(len(r[3]) for r in v.records)} fields",
              f"{len(union)} members of NTMS_OBJECTINFORMATIONA.Info",
              f"{len(v.aliases)} A/W aliases", f"{len(errors)} error codes"]
    short = []
    for got, want, what in ((len(v.functions), 74, "functions"), (len(union), 16, "union members"),
                            (len(v.records), 40, "structures"), (len(v.values), 220, "values"),
                            (len(v.aliases), 30, "aliases"), (len(errors), 40, "error codes")):
        if got < want:
            short.append(f"only {got} {what} found, expected at least {want}")
    results.append(("mingw-w64's ntmsapi.h read: " + ", ".join(counts), short))

    with tempfile.TemporaryDirectory(prefix="ntms-mingw-") as workdir:
        references = {}
        ref_problems = []
        for arch in ARCHES:
            for mode in MODES:
                label = f"{arch}/{mode}"
                ref, err = compile_probe(reference_cmd(a.clang, a.mingw, arch, mode),
                                         probe_source(v, errors, True), workdir,
                                         "ref-" + label.replace("/", "-"))
                if ref is None:
                    ref_problems.append(f"{label}: the probe does not compile with mingw-w64:")
                    ref_problems += ["  " + l for l in err.splitlines() if "error" in l][:20]
                else:
                    references[label] = ref
        facts = len(references.get("x86_64/A", {}))
        results.append((f"the probe compiles against mingw-w64 ({facts} facts per target)",
                        ref_problems))
        if ref_problems:
            return report(results)
        problems = check_ours(v, references, a.ours, a.cc, workdir, errors)
        results.append(("ours has every name, value, layout and signature of mingw-w64's, on "
                        "x86_64 and i686, with and without UNICODE", problems))
        if a.self_test and not problems:
            for what, file, old, new in DOCTORED:
                copy = doctor(a.ours, workdir, what, file, old, new)
                if copy is None:
                    results.append((f"self-test: {what}", [f"{file} has no {old!r} to change"]))
                    continue
                found = check_ours(v, references, copy, a.cc, workdir, errors)
                results.append((f"self-test: reported: {what} ({len(found)} findings)",
                                [] if found else ["the check found nothing"]))
    return report(results)


def report(results):
    print(f"1..{len(results)}")
    failed = 0
    for n, (what, problems) in enumerate(results, 1):
        print(f"{'not ok' if problems else 'ok'} {n} - {what}")
        for p in problems[:200]:
            print(f"# {p}")
        if len(problems) > 200:
            print(f"# ... and {len(problems) - 200} more")
        failed += bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
