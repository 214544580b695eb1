#!/usr/bin/env python3
"""ntmsd speaks sd_notify: READY=1 once it serves, then WATCHDOG=1 at half the watchdog period
while its workers and its bus thread live. Listens on a NOTIFY_SOCKET of its own, as systemd does
(and, like systemd, keeps reading: a full datagram queue would block the sender).

    watchdog.py PRIVATE_BUS NTMSD POLICY
"""
import os
import socket
import subprocess
import sys
import tempfile
import threading


def main(private_bus, ntmsd, policy):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "notify")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(path)
        sock.settimeout(0.5)
        messages = []
        done = threading.Event()

        def listen():
            while not done.is_set():
                try:
                    messages.append(sock.recv(4096).decode())
                except socket.timeout:
                    continue

        listener = threading.Thread(target=listen)
        listener.start()
        env = dict(os.environ, NOTIFY_SOCKET=path, WATCHDOG_USEC="200000")
        env.pop("WATCHDOG_PID", None)
        try:
            rc = subprocess.run(
                [private_bus, ntmsd, policy, "--library", "lab1=sim:lab1,slots=4,ie=1",
                 "--", "sleep", "2"], env=env, timeout=90).returncode
        finally:
            done.set()
            listener.join()
        ours = [m for m in messages if "STATUS=serving" in m or "WATCHDOG=1" in m]
        fed = sum("WATCHDOG=1" in m for m in messages)
        ready = any("READY=1" in m and "STATUS=serving" in m for m in messages)
        stopping = any("STOPPING=1" in m for m in messages)
        print(f"ntmsd READY=1: {ready}; WATCHDOG=1 messages in 2 s at 200 ms: {fed}; "
              f"STOPPING=1: {stopping}; private bus run exit {rc}")
        return 0 if rc == 0 and ready and stopping and 5 <= fed <= 40 and ours else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
