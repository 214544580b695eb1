#!/usr/bin/env python3
"""What Bacula's and Bareos' mtx-changer scripts print for a simulated changer, found without
ntmsd: the changer's own element list (`ntms-sim STATE status`) is numbered as mtx numbers it
and written as `mtx status` prints it, and the scripts' rules are applied to that text.

    mtx_model.py status < SIM-STATUS          the `mtx status` text
    mtx_model.py bacula|bareos COMMAND [DRIVE] < SIM-STATUS

Facts used: mtx numbers storage elements 1..S in address order, then the import/export elements
S+1..S+I, drives 0..D-1; its header's fifth field is S+I; a full drive reads
"Data Transfer Element d:Full (Storage Element K Loaded):VolumeTag = TAG", a slot
"      Storage Element n:Full :VolumeTag=TAG", a port the same with " IMPORT/EXPORT" after its
number. A drive whose source element the changer does not report gets, as ntms-changer(1) says,
the lowest-numbered empty storage slot that is neither another drive's source nor given to a
lower drive (mtx itself would print "Unknown Storage Element Loaded", which the scripts skip).
"""
import re
import sys


def elements(text):
    out = []
    for line in text.splitlines():
        m = re.match(r"^(transport|drive|ie|storage)\s+(\d+)\s+(full|empty)\s*(.*)$", line)
        if not m:
            continue
        kind, address, state, rest = m.groups()
        label, source = "", None
        rest_words = rest.split("  ")
        if state == "full" and rest_words and rest_words[0] != "(no label)":
            label = rest_words[0].strip()
        f = re.search(r"from (\d+)", rest)
        if f:
            source = int(f.group(1))
        out.append((kind, int(address), state == "full", label, source))
    return out


def mtx_status(text):
    els = elements(text)
    storage = sorted((e for e in els if e[0] == "storage"), key=lambda e: e[1])
    ports = sorted((e for e in els if e[0] == "ie"), key=lambda e: e[1])
    drives = sorted((e for e in els if e[0] == "drive"), key=lambda e: e[1])
    slots = storage + ports
    number = {e[1]: i + 1 for i, e in enumerate(slots)}
    sources = {number.get(e[4]) for e in drives if e[2] and e[4] is not None} - {None}
    free = [i + 1 for i, e in enumerate(storage) if not e[2] and i + 1 not in sources]
    lines = ["  Storage Changer /dev/sg9:%d Drives, %d Slots ( %d Import/Export )"
             % (len(drives), len(slots), len(ports))]
    for d, e in enumerate(drives):
        if not e[2]:
            lines.append("Data Transfer Element %d:Empty" % d)
            continue
        home = number.get(e[4]) if e[4] is not None else None
        if home is None:
            home = free.pop(0) if free else None
        line = "Data Transfer Element %d:Full (%s Loaded)" % (
            d, "Storage Element %d" % home if home else "Unknown Storage Element")
        if e[3]:
            line += ":VolumeTag = " + e[3]
        lines.append(line)
    for i, e in enumerate(slots):
        line = "      Storage Element %d%s:%s" % (
            i + 1, " IMPORT/EXPORT" if e[0] == "ie" else "", "Full " if e[2] else "Empty")
        if e[2] and e[3]:
            line += ":VolumeTag=" + e[3]
        lines.append(line)
    return lines


DRIVE = re.compile(r"^Data Transfer Element (\d+):(Empty|Full \(Storage Element (\d+) Loaded\))"
                   r"(:VolumeTag = (.*))?$")
SLOT = re.compile(r"^ +Storage Element (\d+)( IMPORT/EXPORT)?:(Empty|Full )(:VolumeTag=(.*))?$")


def script(flavour, command, status, drive=None):
    """The lines a script prints: list greps the slot lines first and the drive lines after
    them; listall and loaded keep the order of mtx's text (drives first)."""
    if command == "slots":
        return [status[0].split()[4]]
    out, drives = [], []
    for line in status[1:]:
        d, s = DRIVE.match(line), SLOT.match(line)
        if d:
            index, full, home, tag = d.group(1), d.group(2) != "Empty", d.group(3), d.group(5)
            if command == "list" and full:
                drives.append("%s:%s" % (home, tag or ""))
            elif command == "loaded" and index == drive:
                out.append(home if full else "0")
            elif command == "listall":
                if not full:
                    out.append("D:%s:E" % index)
                elif flavour == "bacula" or tag:
                    out.append("D:%s:F:%s:%s" % (index, home, tag or ""))
                else:
                    out.append("D:%s:F:%s" % (index, home))
        elif s:
            n, port, full, tag = s.group(1), s.group(2), s.group(3) != "Empty", s.group(5)
            if command == "list" and full and not port:
                out.append("%s:%s" % (n, tag or ""))
            elif command == "listall":
                kind = "I" if port and flavour == "bacula" else "S"
                if not full:
                    out.append("%s:%s:E" % (kind, n))
                elif flavour == "bacula" or tag:
                    out.append("%s:%s:F:%s" % (kind, n, tag or ""))
                else:
                    out.append("%s:%s:F" % (kind, n))
    return out + drives


def main():
    status = mtx_status(sys.stdin.read())
    if sys.argv[1] == "status":
        print("\n".join(status))
        return
    drive = sys.argv[3] if len(sys.argv) > 3 else None
    print("\n".join(script(sys.argv[1], sys.argv[2], status, drive)))


if __name__ == "__main__":
    main()
