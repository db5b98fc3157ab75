#!/usr/bin/env python3
"""Which of a running process's pages are resident, by where they come from: the sections of
its own binary (read from /proc/PID/pagemap, so as root), and every mapping's resident and
anonymous kilobytes (/proc/PID/smaps). A wall's file-backed memory is mostly the binary's code
it has touched; this says how much of each section that is.

    python3 bench/resident.py PID [TOP_MAPPINGS]
"""
import collections
import os
import re
import struct
import subprocess
import sys

PAGE = os.sysconf("SC_PAGE_SIZE")


def mappings(pid):
    rows, cur = [], None
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            m = re.match(r"^([0-9a-f]+)-([0-9a-f]+) (\S+) ([0-9a-f]+) \S+ \S+\s*(.*)$", line)
            if m:
                cur = {
                    "start": int(m.group(1), 16),
                    "end": int(m.group(2), 16),
                    "perm": m.group(3),
                    "offset": int(m.group(4), 16),
                    "name": m.group(5) or "[anon]",
                }
                rows.append(cur)
                continue
            key, _, value = line.partition(":")
            if cur is not None and key in ("Rss", "Anonymous"):
                cur[key] = int(value.split()[0])
    return rows


def sections(binary):
    out = subprocess.run(["readelf", "-SW", binary], capture_output=True, text=True).stdout
    found = []
    for line in out.splitlines():
        m = re.match(r"\s*\[\s*\d+\]\s+(\S+)\s+\S+\s+[0-9a-f]+\s+([0-9a-f]+)\s+([0-9a-f]+)", line)
        if m and int(m.group(3), 16) > 0:
            found.append((int(m.group(2), 16), int(m.group(3), 16), m.group(1)))
    return found


def section_of(offset, secs):
    for start, size, name in secs:
        if start <= offset < start + size or (start < offset + PAGE and offset < start + size):
            return name
    return "(between sections)"


def main():
    pid = int(sys.argv[1])
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 12
    binary = os.readlink(f"/proc/{pid}/exe")
    rows = mappings(pid)
    secs = sections(binary)
    resident = collections.Counter()
    with open(f"/proc/{pid}/pagemap", "rb") as pagemap:
        for r in rows:
            if r["name"] != binary:
                continue
            pages = (r["end"] - r["start"]) // PAGE
            pagemap.seek(r["start"] // PAGE * 8)
            data = pagemap.read(pages * 8)
            for i in range(pages):
                (entry,) = struct.unpack_from("<Q", data, i * 8)
                if entry >> 63 & 1:  # present
                    kind = "file" if entry >> 61 & 1 else "anonymous"
                    resident[(section_of(r["offset"] + i * PAGE, secs), kind)] += PAGE // 1024
    total = {name: size for _, size, name in secs}
    print(f"the binary's resident pages by section ({binary}):")
    for (name, kind), kb in resident.most_common():
        print(f"  {name:22s} {kind:9s} {kb / 1024:7.1f} MB of {total.get(name, 0) / 2**20:6.1f} MB")
    print(f"largest resident mappings (of {len(rows)}):")
    for r in sorted(rows, key=lambda r: -r.get("Rss", 0))[:top]:
        print(f"  {r.get('Rss', 0) / 1024:6.1f} MB resident, {r.get('Anonymous', 0) / 1024:6.1f} MB "
              f"anonymous  {r['perm']}  {r['name']}")


if __name__ == "__main__":
    main()
