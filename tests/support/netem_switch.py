#!/usr/bin/env python3
"""A userspace Ethernet switch with netem-like impairments, for the network tests.

The kernels this project's tests run on (Firecracker guests) ship without sch_netem, so
`tc qdisc ... netem` is not available. This switch does netem's job in userspace: it owns
one TAP device per host, reads every Ethernet frame a host sends, and delivers it to the
host its destination MAC names (02:00:00:00:00:XX is host XX; broadcasts go to every
other host) after the delay, jitter and loss set for that direction of that link, or not
at all while that direction is cut. Jitter reorders frames, as netem's does.

Run it inside a network namespace of the test's own (`ip netns exec NS python3
netem_switch.py N`): it creates TAP devices t0..t(N-1) there, prints "ready", and then
reads commands on stdin, one per line (hosts are 0-based; `*` is every host):

    link A B [delay=MS] [jitter=MS] [loss=P] [cut=0|1]   one direction, A to B
    both A B ...                                          both directions
    quit

The test moves each TAP device into its host's namespace. Standard library only.
"""

import fcntl
import heapq
import os
import random
import select
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000


def open_tap(name):
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TAP | IFF_NO_PI))
    return fd


class Link:
    __slots__ = ("delay", "jitter", "loss", "cut")

    def __init__(self):
        self.delay = 0.0
        self.jitter = 0.0
        self.loss = 0.0
        self.cut = False


def hosts(spec, n):
    return range(n) if spec == "*" else [int(spec)]


def apply(links, n, words):
    verb, a, b, *opts = words
    pairs = [(x, y) for x in hosts(a, n) for y in hosts(b, n) if x != y]
    if verb == "both":
        pairs += [(y, x) for (x, y) in pairs]
    for x, y in pairs:
        link = links[x][y]
        for opt in opts:
            key, value = opt.split("=", 1)
            if key == "delay":
                link.delay = float(value) / 1000
            elif key == "jitter":
                link.jitter = float(value) / 1000
            elif key == "loss":
                link.loss = float(value)
            elif key == "cut":
                link.cut = value == "1"
            else:
                raise ValueError(f"unknown option {key}")


def main():
    n = int(sys.argv[1])
    rng = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
    taps = [open_tap(f"t{i}") for i in range(n)]
    links = [[Link() for _ in range(n)] for _ in range(n)]
    pending = []  # (due, order, to, frame)
    order = 0
    print("ready", flush=True)
    stdin = sys.stdin.fileno()
    os.set_blocking(stdin, False)
    buf = b""
    while True:
        timeout = max(0.0, pending[0][0] - time.monotonic()) if pending else 0.5
        readable, _, _ = select.select(taps + [stdin], [], [], timeout)
        for fd in readable:
            if fd == stdin:
                chunk = os.read(stdin, 4096)
                if not chunk:
                    return
                buf += chunk
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    words = line.decode().split()
                    if not words:
                        continue
                    if words[0] == "quit":
                        return
                    try:
                        apply(links, n, words)
                        print("ok", flush=True)
                    except (ValueError, IndexError) as e:
                        print(f"error {e}", flush=True)
                continue
            src = taps.index(fd)
            while True:
                try:
                    frame = os.read(fd, 65536)
                except BlockingIOError:
                    break
                dst_mac = frame[:6]
                if dst_mac[:5] == b"\x02\x00\x00\x00\x00" and dst_mac[5] < n:
                    targets = [dst_mac[5]]
                elif dst_mac[0] & 1:
                    targets = [i for i in range(n) if i != src]
                else:
                    targets = []
                now = time.monotonic()
                for to in targets:
                    link = links[src][to]
                    if to == src or link.cut or rng.random() < link.loss:
                        continue
                    delay = max(0.0, link.delay + rng.uniform(-link.jitter, link.jitter))
                    order += 1
                    heapq.heappush(pending, (now + delay, order, to, frame))
        now = time.monotonic()
        while pending and pending[0][0] <= now:
            _, _, to, frame = heapq.heappop(pending)
            try:
                os.write(taps[to], frame)
            except OSError:
                pass  # the host's device is down or gone: the frame is lost


if __name__ == "__main__":
    main()
