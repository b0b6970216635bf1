#!/usr/bin/env python3
"""A BFT client written from docs/PROTOCOL.md alone: submits a proposal to every
validator, waits for the decision, and checks the certificate itself.

    python3 docs/bft_client.py VALIDATORS.toml SUBJECT CONTENT_JSON

Prints `approve` or `reject` and the signers; exit 0 approved, 1 rejected or undecided,
2 usage, 3 no quorum reachable. Python 3.11+ (tomllib); the `cryptography` package checks
the Ed25519 signatures.
"""
import base64
import hashlib
import json
import socket
import struct
import sys
import tomllib


def lp(b):
    return struct.pack(">H", len(b)) + b


def canonical(v):
    """RFC 8785 for the JSON this client sends (strings, integers, objects, arrays)."""
    if isinstance(v, dict):
        keys = sorted(v, key=lambda k: k.encode("utf-16-be"))
        return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + canonical(v[k]) for k in keys) + "}"
    if isinstance(v, list):
        return "[" + ",".join(canonical(x) for x in v) + "]"
    if isinstance(v, bool) or v is None:
        return json.dumps(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    raise ValueError("floats are out of scope for this client")


def vkey_bytes(vkey):
    raw = base64.b64decode(vkey.split("+", 2)[2])
    assert len(raw) == 33 and raw[0] == 1
    return raw[1:]


def frame(sock, obj):
    data = json.dumps(obj).encode()
    sock.sendall(struct.pack(">I", len(data)) + data)
    head = b""
    while len(head) < 4:
        chunk = sock.recv(4 - len(head))
        if not chunk:
            raise ConnectionError("closed")
        head += chunk
    (n,) = struct.unpack(">I", head)
    body = b""
    while len(body) < n:
        chunk = sock.recv(n - len(body))
        if not chunk:
            raise ConnectionError("closed")
        body += chunk
    return json.loads(body)


def request(addr, obj, timeout=12.0):
    host, port = addr.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=timeout) as s:
        return frame(s, obj)


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    with open(argv[0], "rb") as f:
        cfg = tomllib.load(f)
    subject, content = argv[1], json.loads(argv[2])
    validators = cfg["validator"]
    n = len(validators)
    quorum = 2 * n // 3 + 1
    cluster = cfg["cluster"].encode()
    h = hashlib.sha256(b"echoctl/bft/validators/v1" + lp(cluster) + struct.pack(">QH", cfg["epoch"], n))
    for v in validators:
        h.update(lp(v["name"].encode()) + lp(v["key"].encode()))
    set_hash = h.digest()

    reachable = []
    for v in validators:
        try:
            if request(v["address"], {"type": "submit", "subject": subject, "content": content}, 2.0)["type"] == "ok":
                reachable.append(v["address"])
        except OSError:
            pass
    if len(reachable) < quorum:
        print(f"only {len(reachable)} validators reachable, a quorum is {quorum}", file=sys.stderr)
        return 3
    cert = None
    for addr in reachable:
        reply = request(addr, {"type": "query", "subject": subject, "wait_ms": 10000})
        if reply.get("type") == "certificate":
            cert = reply
            break
    if cert is None:
        print("undecided")
        return 1

    # Check the certificate as PROTOCOL.md §4-§5 say, trusting no validator.
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.exceptions import InvalidSignature

    proposal_hash = hashlib.sha256(canonical({"content": cert["content"], "subject": subject}).encode()).digest()
    decision = {"approve": 1, "reject": 0}[cert["decision"]]
    value = hashlib.sha256(b"echoctl/bft/value/v1" + bytes([decision]) + proposal_hash).digest()
    assert value.hex() == cert["value"], "the certificate's value is not its decision and content"
    signers = set()
    for p in cert["precommits"]:
        i = p["validator"]
        msg = (b"echoctl/bft/v1" + bytes([3]) + lp(cluster) + set_hash
               + hashlib.sha256(subject.encode()).digest() + struct.pack(">Q", cert["round"])
               + b"\x01" + value + struct.pack(">H", i))
        try:
            Ed25519PublicKey.from_public_bytes(vkey_bytes(validators[i]["key"])).verify(
                base64.b64decode(p["sig"]), msg)
            signers.add(i)
        except (InvalidSignature, IndexError):
            pass
    if len(signers) < quorum:
        print(f"the certificate has {len(signers)} valid precommits, a quorum is {quorum}", file=sys.stderr)
        return 1
    print(cert["decision"], "signed by", ", ".join(validators[i]["name"] for i in sorted(signers)))
    return 0 if cert["decision"] == "approve" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
