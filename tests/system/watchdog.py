#!/usr/bin/env python3
"""ntmsd speaks sd_notify: READY=1 once it serves, then WATCHDOG=1 at half the watchdog period
while its workers and its bus thread live. Listens on a NOTIFY_SOCKET of its own, as systemd does
(and, like systemd, keeps reading: a full datagram queue would block the sender).

    watchdog.py PRIVATE_BUS NTMSD POLICY [many]

With "many", ntmsd starts 16 simulated libraries of 10,000 slots: the watchdog is fed all through
their first inventories (no gap as long as the period), and STATUS counts the libraries read.
"""
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time


def main(private_bus, ntmsd, policy, mode=""):
    many = mode == "many"
    libraries = ["--library", "lab1=sim:lab1,slots=4,ie=1"]
    if many:
        libraries = []
        for i in range(16):
            libraries += ["--library", f"lib{i:02}=sim:lib{i:02},slots=10000,ie=2,fill=5000"]
    period = 1.0 if many else 0.2
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "notify")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(path)
        sock.settimeout(0.5)
        messages = []
        stamped = []
        done = threading.Event()

        def listen():
            while not done.is_set():
                try:
                    data = sock.recv(4096).decode()
                    messages.append(data)
                    stamped.append((time.monotonic(), data))
                except socket.timeout:
                    continue

        listener = threading.Thread(target=listen)
        listener.start()
        env = dict(os.environ, NOTIFY_SOCKET=path, WATCHDOG_USEC=str(int(period * 1e6)))
        env.pop("WATCHDOG_PID", None)
        try:
            rc = subprocess.run(
                [private_bus, ntmsd, policy, *libraries,
                 "--", "sleep", "2"], env=env, timeout=90).returncode
        finally:
            done.set()
            listener.join()
        ours = [m for m in messages if "STATUS=serving" in m or "WATCHDOG=1" in m]
        fed = sum("WATCHDOG=1" in m for m in messages)
        ready = any("READY=1" in m and "STATUS=serving" in m for m in messages)
        stopping = any("STOPPING=1" in m for m in messages)
        print(f"ntmsd READY=1: {ready}; WATCHDOG=1 messages: {fed} (period {period} s); "
              f"STOPPING=1: {stopping}; private bus run exit {rc}")
        if not many:
            return 0 if rc == 0 and ready and stopping and 5 <= fed <= 40 and ours else 1
        # From the first message to READY=1: the start-up, fed throughout.
        times = [t for t, m in stamped if "WATCHDOG=1" in m]
        ready_at = next((t for t, m in stamped if "READY=1" in m), None)
        start = stamped[0][0] if stamped else None
        gaps = [b - a for a, b in zip(times, times[1:]) if ready_at is None or a <= ready_at]
        if start is not None and times:
            gaps.append(times[0] - start)
        progress = [m for m in messages if "STATUS=inventory" in m]
        done = any("STATUS=inventory 16/16 libraries" in m for m in messages)
        print(f"start-up: {len(progress)} progress messages, all 16 counted: {done}; "
              f"longest gap between WATCHDOG=1 up to READY=1: "
              f"{max(gaps) if gaps else -1:.3f} s (period {period} s)")
        return 0 if (rc == 0 and ready and stopping and ours and progress and done and gaps
                     and max(gaps) < period) else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:5]))
