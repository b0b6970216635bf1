#!/usr/bin/env python3
"""BFT decision latency and throughput over a real network of namespaces (issue 27).

For each cluster size and one-way delay: n release validators, each a host in its own
network namespace, joined by tests/support/netem_switch.py (the userspace netem of the
network tests) with the delay on every validator-to-validator link and none on the
client's links, so the figure is the consensus's own: the floor is three message delays
(proposal, prevote, precommit). Then, from a client host written from docs/PROTOCOL.md:

- latency: one proposal at a time, from the first submit sent to the certificate
  received (p50, p99 over --samples);
- throughput: pipelined windows of 50 subjects submitted to every validator, decisions
  per second over --subjects.

Needs root, ip, /dev/net/tun. Run: cargo build --release && sudo python3 benches/bft_netns.py
Never run by CI.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SWITCH = os.path.join(ROOT, "tests", "support", "netem_switch.py")
PORT = 7000

CLIENT = r"""
import json, socket, struct, sys, time
mode, prefix, count, addrs = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
def send(s, v):
    b = json.dumps(v).encode()
    s.sendall(struct.pack(">I", len(b)) + b)
def recv(s):
    def exact(n):
        b = b""
        while len(b) < n:
            c = s.recv(n - len(b))
            if not c: raise EOFError
            b += c
        return b
    (size,) = struct.unpack(">I", exact(4))
    return json.loads(exact(size))
def connect(a):
    host, port = a.rsplit(":", 1)
    s = socket.create_connection((host, int(port)), timeout=60)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s
conns = [connect(a) for a in addrs]
def decided(subj):
    while True:
        send(conns[0], {"type": "query", "subject": subj, "wait_ms": 10000})
        if recv(conns[0]).get("type") == "certificate":
            return
out = []
if mode == "latency":
    for k in range(count):
        subj = f"{prefix}-{k}"
        t = time.perf_counter()
        for c in conns:
            send(c, {"type": "submit", "subject": subj, "content": {"k": k}})
        for c in conns:
            recv(c)
        decided(subj)
        out.append((time.perf_counter() - t) * 1000)
else:
    t = time.perf_counter()
    for w in range(0, count, 50):
        subjects = [f"{prefix}-{k}" for k in range(w, min(w + 50, count))]
        for c in conns:
            for subj in subjects:
                send(c, {"type": "submit", "subject": subj, "content": {"n": subj}})
        for c in conns:
            for _ in subjects:
                recv(c)
        for subj in subjects:
            decided(subj)
    out.append(count / (time.perf_counter() - t))
print(json.dumps(out))
"""


def ip(*args):
    subprocess.run(["ip", *args], check=True, capture_output=True)


class Network:
    def __init__(self, tag, hosts):
        self.switch_ns = f"ecb{os.getpid()}{tag}s"
        self.names = [f"ecb{os.getpid()}{tag}h{i}" for i in range(hosts)]
        for n in [self.switch_ns, *self.names]:
            ip("netns", "add", n)
        self.switch = subprocess.Popen(
            ["ip", "netns", "exec", self.switch_ns, sys.executable, SWITCH, str(hosts)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.switch.stdout.readline().strip() == "ready"
        for i, n in enumerate(self.names):
            ip("-n", self.switch_ns, "link", "set", f"t{i}", "netns", n)
            ip("-n", n, "link", "set", f"t{i}", "name", "eth0")
            ip("-n", n, "link", "set", "eth0", "address", f"02:00:00:00:00:{i:02x}")
            ip("-n", n, "addr", "add", f"10.213.0.{i + 1}/24", "dev", "eth0")
            ip("-n", n, "link", "set", "eth0", "up")
            ip("-n", n, "link", "set", "lo", "up")
            for j in range(hosts):
                if j != i:
                    ip("-n", n, "neigh", "add", f"10.213.0.{j + 1}", "lladdr",
                       f"02:00:00:00:00:{j:02x}", "dev", "eth0", "nud", "permanent")

    def set(self, line):
        self.switch.stdin.write(line + "\n")
        self.switch.stdin.flush()
        assert self.switch.stdout.readline().strip() == "ok"

    def close(self):
        try:
            self.switch.stdin.write("quit\n")
            self.switch.stdin.flush()
        except OSError:
            pass
        self.switch.kill()
        self.switch.wait()
        for n in [self.switch_ns, *self.names]:
            subprocess.run(["ip", "netns", "del", n], capture_output=True)


def run(binary, n, delay, samples, subjects):
    tmp = tempfile.mkdtemp(prefix="bft-netns-")
    env = {"HOME": tmp, "XDG_CONFIG_HOME": os.path.join(tmp, "config"), "PATH": os.environ["PATH"],
           "ECHOCTL_LOG": "warn"}
    toml = 'cluster = "bench.cluster"\nepoch = 1\n'
    for i in range(n):
        out = subprocess.run([binary, "--db", f"{tmp}/n{i}.db", "init", "--origin", f"node{i}.example"],
                             env=env, check=True, capture_output=True, text=True)
        toml += f'[[validator]]\nname = "node{i}"\nkey = "{out.stdout.strip()}"\naddress = "10.213.0.{i + 1}:{PORT}"\n'
    with open(f"{tmp}/validators.toml", "w") as f:
        f.write(toml)
    net = Network(f"{n}d{delay}", n + 1)
    nodes = []
    try:
        if delay:
            for a in range(n):
                for b in range(n):
                    if a != b:
                        net.set(f"link {a} {b} delay={delay}")
        for i in range(n):
            nodes.append(subprocess.Popen(
                ["ip", "netns", "exec", net.names[i], binary, "--db", f"{tmp}/n{i}.db", "bft", "serve",
                 "--validators", f"{tmp}/validators.toml"],
                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        time.sleep(1.5)
        addrs = [f"10.213.0.{i + 1}:{PORT}" for i in range(n)]

        def client(mode, prefix, count):
            out = subprocess.run(["ip", "netns", "exec", net.names[n], sys.executable, "-c", CLIENT,
                                  mode, prefix, str(count), *addrs], check=True, capture_output=True, text=True)
            return json.loads(out.stdout)

        client("latency", "warm", 5)
        lat = sorted(client("latency", "lat", samples))
        rate = client("throughput", "tput", subjects)[0]
        return {
            "n": n, "delay_ms": delay,
            "p50_ms": statistics.median(lat),
            "p99_ms": lat[min(len(lat) - 1, int(len(lat) * 0.99))],
            "decisions_per_s": rate,
        }
    finally:
        for p in nodes:
            p.kill()
            p.wait()
        net.close()
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    a = argparse.ArgumentParser()
    a.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "echoctl"))
    a.add_argument("--sizes", default="4,7")
    a.add_argument("--delays", default="0,10,50")
    a.add_argument("--samples", type=int, default=100)
    a.add_argument("--subjects", type=int, default=1000)
    args = a.parse_args()
    print(f"{'validators':>10} {'delay ms':>9} {'floor ms':>9} {'p50 ms':>8} {'p99 ms':>8} {'p50/floor':>10} {'decisions/s':>12}")
    for n in map(int, args.sizes.split(",")):
        for d in map(int, args.delays.split(",")):
            r = run(args.bin, n, d, args.samples, args.subjects)
            floor = 3 * d
            ratio = f"{r['p50_ms'] / floor:.2f}" if floor else "-"
            print(f"{n:>10} {d:>9} {floor:>9} {r['p50_ms']:>8.1f} {r['p99_ms']:>8.1f} {ratio:>10} {r['decisions_per_s']:>12.0f}",
                  flush=True)


if __name__ == "__main__":
    main()
