#!/usr/bin/env python3
"""Verify an echoctl ledger without echoctl, from docs/FORMAT.md alone.

    python3 docs/audit.py LEDGER.db [--trust-key VKEY]...

Python standard library only, plus the `cryptography` package for Ed25519 signatures
(without it, everything but the signatures is checked, and the script says so).
Exit status: 0 valid, 1 invalid, 2 usage.
"""
import base64
import hashlib
import json
import sqlite3
import sys
from decimal import Decimal

KINDS = {"genesis", "key", "observation", "decision", "outcome", "constraint", "test", "amendment",
         "case", "ruling", "task", "watchtower", "trade"}
CROCKFORD = set("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
TYPES = {"clarification", "correction", "supersession", "withdrawal"}


class Invalid(Exception):
    def __init__(self, seq, reason):
        super().__init__(f"seq {seq}: {reason}")
        self.seq = seq


def es6_number(x):
    """ECMAScript Number.prototype.toString (RFC 8785 section 3.2.2.3)."""
    if x == 0:
        return "0"
    if x < 0:
        return "-" + es6_number(-x)
    # repr() gives the shortest digits that round-trip; Decimal splits them out.
    _, digit_tuple, exp = Decimal(repr(x)).normalize().as_tuple()
    digits = "".join(map(str, digit_tuple))
    k, n = len(digits), exp + len(digits)
    if k <= n <= 21:
        return digits + "0" * (n - k)
    if 0 < n <= 21:
        return digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return "0." + "0" * (-n) + digits
    e = n - 1
    head = digits[0] + ("." + digits[1:] if k > 1 else "")
    return f"{head}e{'+' if e >= 0 else '-'}{abs(e)}"


def canonical(v):
    """RFC 8785 canonical JSON."""
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return es6_number(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        return "[" + ",".join(canonical(x) for x in v) + "]"
    keys = sorted(v, key=lambda k: k.encode("utf-16-be"))
    return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + canonical(v[k]) for k in keys) + "}"


def no_duplicates(pairs):
    d = {}
    for k, v in pairs:
        if k in d:
            raise ValueError(f"duplicate key {k}")
        d[k] = v
    return d


def is_ulid(s):
    return isinstance(s, str) and len(s) == 26 and s[0] <= "7" and set(s) <= CROCKFORD


def leaf_hash(body):
    return hashlib.sha256(b"\x00" + body).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


class Frontier:
    """RFC 9162 tree root over leaves appended one by one."""

    def __init__(self):
        self.nodes = []  # (level, hash), decreasing levels

    def push(self, h):
        level = 0
        while self.nodes and self.nodes[-1][0] == level:
            h = node_hash(self.nodes.pop()[1], h)
            level += 1
        self.nodes.append((level, h))

    def root(self):
        if not self.nodes:
            return hashlib.sha256(b"").digest()
        r = self.nodes[-1][1]
        for _, h in reversed(self.nodes[:-1]):
            r = node_hash(h, r)
        return r


def parse_vkey(s):
    name, hex8, b64 = s.split("+", 2)
    raw = base64.b64decode(b64, validate=True)
    if len(raw) != 33 or raw[0] != 1:
        raise ValueError("not an Ed25519 verifier key")
    key_id = hashlib.sha256(name.encode() + b"\n\x01" + raw[1:]).digest()[:4]
    if key_id.hex() != hex8:
        raise ValueError("key ID does not match")
    return {"name": name, "id": key_id, "pk": raw[1:], "identity": f"{name}+{hex8}"}


def ed25519_verify(pk, sig, msg):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.exceptions import InvalidSignature

    try:
        Ed25519PublicKey.from_public_bytes(pk).verify(sig, msg)
        return True
    except InvalidSignature:
        return False


def parse_note(note):
    body, sep, sigs = note.rpartition("\n\n")
    if not sep:
        raise ValueError("no signatures")
    body += "\n"
    lines = body.split("\n")
    origin, size, root = lines[0], int(lines[1]), base64.b64decode(lines[2], validate=True)
    signatures = []
    for line in sigs.rstrip("\n").split("\n"):
        if not line.startswith("\u2014 "):
            raise ValueError("bad signature line")
        name, b64 = line[2:].split(" ")
        raw = base64.b64decode(b64, validate=True)
        signatures.append((name, raw[:4], raw[4:]))
    return origin, size, root, body.encode(), signatures


def active_at(r, seq):
    """FORMAT.md 4.1: a key may sign entry seq."""
    return (r["added"] is None or r["added"] < seq) and (r["revoked"] is None or seq <= r["revoked"])


def counts_for(r, first, size):
    """FORMAT.md 4.1: a key's signature counts on a checkpoint newly covering first..size-1."""
    return (r["added"] is None or r["added"] < size) and (r["revoked"] is None or r["revoked"] >= first)


def apply_key_change(seq, c, signer, history, trusted):
    if c.get("action") not in ("add", "revoke", "rotate") or not isinstance(c.get("reason"), str) \
            or not c["reason"].strip():
        raise Invalid(seq, "bad key entry")
    want = {"action", "key", "reason"} | ({"replaces"} if c["action"] == "rotate" else set())
    if set(c) != want:
        raise Invalid(seq, "bad key entry fields")
    try:
        key = parse_vkey(c["key"])
        old = parse_vkey(c["replaces"]) if c["action"] == "rotate" else key
    except (ValueError, AttributeError) as err:
        raise Invalid(seq, f"bad key in key entry: {err}")
    same = lambda r, k: r["key"]["pk"] == k["pk"] and r["key"]["identity"] == k["identity"]
    if c["action"] in ("revoke", "rotate"):
        if c["action"] == "rotate" and same({"key": key}, old):
            raise Invalid(seq, "a rotation must name a different key")
        found = [r for r in history if same(r, old) and active_at(r, seq)]
        active = sum(1 for r in history if active_at(r, seq))
        if not found or active + (1 if c["action"] == "rotate" else 0) <= 1:
            raise Invalid(seq, "revokes a key that is not active, or the last one")
        found[0]["revoked"] = seq
    if c["action"] in ("add", "rotate"):
        if any(same(r, key) or r["key"]["identity"] == key["identity"] for r in history):
            raise Invalid(seq, "adds a key the ledger already had")
        history.append({"key": key, "added": seq, "revoked": None,
                        "trusted": signer["trusted"] or any(t["pk"] == key["pk"] for t in trusted)})


def lp(b):
    return len(b).to_bytes(2, "big") + b


def set_hash(cluster, epoch, validators):
    """FORMAT.md 12 / PROTOCOL.md 3: the hash of a BFT validator set."""
    h = hashlib.sha256(b"echoctl/bft/validators/v1" + lp(cluster.encode()) + epoch.to_bytes(8, "big")
                       + len(validators).to_bytes(2, "big"))
    for v in validators:
        h.update(lp(v["name"].encode()) + lp(v["key"].encode()))
    return h.digest()


def check_bft(seq, e, bft_sets, check_sigs):
    """FORMAT.md 12: a decision (or a ruling decided by validators) and its certificate."""
    b = e["content"].get("bft")
    if b is None or e["kind"] not in ("decision", "ruling"):
        return
    try:
        vals = b["validators"]
        keys = [parse_vkey(v["key"]) for v in vals]
        h = set_hash(b["cluster"], b["epoch"], vals)
        if h.hex() != b["validators_hash"] or len(vals) < 4:
            raise Invalid(seq, "BFT validator set does not hash to validators_hash")
        ph = hashlib.sha256(canonical({"content": b["content"], "subject": b["subject"]}).encode()).digest()
        decision = {"approve": 1, "reject": 0}[b["decision"]]
        value = hashlib.sha256(b"echoctl/bft/value/v1" + bytes([decision]) + ph).digest()
        if value.hex() != b["value"]:
            raise Invalid(seq, "BFT certificate value is not its decision and content")
        signers = set()
        for p in b["precommits"]:
            i = p["validator"]
            if i in signers or not 0 <= i < len(vals):
                raise Invalid(seq, "BFT certificate names a validator twice or an unknown one")
            msg = (b"echoctl/bft/v1" + bytes([3]) + lp(b["cluster"].encode()) + h
                   + hashlib.sha256(b["subject"].encode()).digest() + b["round"].to_bytes(8, "big")
                   + b"\x01" + value + i.to_bytes(2, "big"))
            if check_sigs and not ed25519_verify(keys[i]["pk"], base64.b64decode(p["sig"]), msg):
                raise Invalid(seq, "BFT precommit signature does not verify")
            signers.add(i)
        if len(signers) < 2 * len(vals) // 3 + 1:
            raise Invalid(seq, "BFT certificate without a quorum")
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise Invalid(seq, f"malformed BFT certificate: {err}")
    if e["kind"] == "ruling":
        c = b["content"]
        if b["decision"] != "approve" or c.get("case") != (e["refs"] or [None])[0] \
                or c.get("decision") != e["content"].get("decision"):
            raise Invalid(seq, "the ruling's certificate approves another ruling")
    if not bft_sets:
        bft_sets.add(h)
    elif h not in bft_sets:
        raise Invalid(seq, "BFT decision by a validator set that no earlier set approved")
    vs = b["content"].get("validator_set")
    if b["decision"] == "approve" and isinstance(vs, dict):
        try:
            bft_sets.add(set_hash(vs["cluster"], vs["epoch"], vs["validators"]))
        except (KeyError, TypeError, AttributeError):
            pass


def audit(path, trusted, check_sigs):
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    checkpoints = sorted(db.execute("SELECT size, note FROM checkpoints"))
    frontier, prev, ids, status, genesis = Frontier(), b"\0" * 32, {}, {}, None
    cases, rulings = {}, {}
    uncovered, covered = [], 0
    history, newest_trusted = [], False
    bft_sets = set()
    n = 0
    for seq, body in db.execute("SELECT seq, body FROM entries ORDER BY seq"):
        if seq != n:
            raise Invalid(n, "entry missing")
        if isinstance(body, str):
            body = body.encode()
        try:
            e = json.loads(body, object_pairs_hook=no_duplicates)
        except ValueError as err:
            raise Invalid(seq, f"not JSON: {err}")
        if canonical(e).encode() != body:
            raise Invalid(seq, "not RFC 8785 canonical")
        fields = {"v", "seq", "id", "ts", "kind", "source", "content", "refs", "prev", "signer"}
        if set(e) != fields or e["v"] != 1 or e["seq"] != seq:
            raise Invalid(seq, "bad fields, version or position")
        if e["prev"] != prev.hex():
            raise Invalid(max(seq - 1, 0), "chain broken")
        if not is_ulid(e["id"]) or e["id"] in ids:
            raise Invalid(seq, "bad or duplicate id")
        if e["kind"] not in KINDS or (seq == 0) != (e["kind"] == "genesis"):
            raise Invalid(seq, "bad kind")
        if len(set(e["refs"])) != len(e["refs"]) or any(r not in ids for r in e["refs"]):
            raise Invalid(seq, "refs must name earlier entries, once each")
        if seq == 0:
            c = e["content"]
            if set(c) != {"format", "origin", "keys"} or c["format"] != "echoctl-ledger/v1":
                raise Invalid(0, "bad genesis")
            genesis = {"origin": c["origin"], "keys": [parse_vkey(k) for k in c["keys"]]}
            history = [{"key": k, "added": None, "revoked": None,
                        "trusted": not trusted or any(t["pk"] == k["pk"] for t in trusted)}
                       for k in genesis["keys"]]
        signer = next((r for r in history if r["key"]["identity"] == e["signer"]), None)
        if signer is None:
            raise Invalid(seq, "unknown signer")
        if not active_at(signer, seq):
            raise Invalid(seq, "signed by a key that was revoked (or not yet added)")
        if e["kind"] == "key":
            apply_key_change(seq, e["content"], signer, history, trusted)
        check_court(seq, e, ids, cases, rulings)
        check_bft(seq, e, bft_sets, check_sigs)
        if e["kind"] == "amendment":
            check_amendment(seq, e, ids, status, cases, rulings)
        ids[e["id"]] = (seq, e["kind"])
        leaf = leaf_hash(body)
        frontier.push(leaf)
        prev = leaf
        uncovered.append((seq, e["signer"]))
        n += 1
        while checkpoints and checkpoints[0][0] == n:
            size, note = checkpoints.pop(0)
            origin, nsize, root, signed, sigs = parse_note(note)
            first = covered
            if origin != genesis["origin"] or nsize != size or root != frontier.root():
                raise Invalid(first, f"checkpoint {size} does not match the entries")
            if check_sigs:
                ok = set()
                for r in history:
                    k = r["key"]
                    if not any(name == k["name"] and kid == k["id"] and ed25519_verify(k["pk"], sig, signed)
                               for (name, kid, sig) in sigs):
                        continue
                    if counts_for(r, first, size):
                        ok.add(k["identity"])
                    elif r["revoked"] is not None and r["revoked"] < first:
                        raise Invalid(first, f"checkpoint {size} is signed by a revoked key")
                if not ok:
                    raise Invalid(first, f"checkpoint {size} has no valid signature by a ledger key")
                if any(s not in ok for _, s in uncovered):
                    raise Invalid(first, "an entry's signer did not sign its checkpoint")
                newest_trusted = any(r["trusted"] for r in history if r["key"]["identity"] in ok)
            uncovered, covered = [], size
    if checkpoints:
        raise Invalid(n, "a checkpoint covers entries that are missing")
    if covered != n:
        raise Invalid(covered, "entries not covered by a checkpoint")
    if trusted and check_sigs:
        if not any(any(r["key"]["pk"] == t["pk"] for r in history) for t in trusted):
            raise Invalid(0, "the key history names no trusted key")
        if not newest_trusted:
            raise Invalid(max(covered - 1, 0), "the newest checkpoint has no signature by a trusted key")
    return n, base64.b64encode(frontier.root()).decode()


def check_court(seq, e, ids, cases, rulings):
    """Cases name two or more entries; a ruling decides exactly one open case."""
    if e["kind"] == "case":
        if len(e["refs"]) < 2:
            raise Invalid(seq, "a case names two or more entries")
        cases[e["id"]] = e["refs"]
    elif e["kind"] == "ruling":
        if len(e["refs"]) != 1 or e["refs"][0] not in cases or e["refs"][0] in rulings.values():
            raise Invalid(seq, "a ruling decides exactly one open case")
        rulings[e["id"]] = e["refs"][0]


def check_amendment(seq, e, ids, status, cases, rulings):
    a = e["content"]
    kind, target = a.get("type"), a.get("target")
    if kind not in TYPES or not set(a) <= {"type", "target", "reason", "content", "superseded_by", "ruling"}:
        raise Invalid(seq, "bad amendment")
    if not isinstance(a.get("reason"), str) or not a["reason"].strip():
        raise Invalid(seq, "amendment without a reason")
    if (kind == "correction") != ("content" in a) and kind != "clarification":
        raise Invalid(seq, "content rule broken")
    if "content" in a and not isinstance(a["content"], dict):
        raise Invalid(seq, "content must be an object")
    replacement = a.get("superseded_by")
    if (kind == "supersession") != (replacement is not None) or replacement == target:
        raise Invalid(seq, "superseded_by rule broken")
    ruling = a.get("ruling")
    if e["refs"] != [target] + ([replacement] if replacement else []) + ([ruling] if ruling else []):
        raise Invalid(seq, "amendment refs")
    if ruling is not None:
        if ids.get(ruling, (0, ""))[1] != "ruling" or target not in cases.get(rulings.get(ruling), []):
            raise Invalid(seq, "a ruling may only amend entries of its case")
    for who in [target] + ([replacement] if replacement else []):
        if who not in ids or ids[who][1] in ("genesis", "amendment", "key") or status.get(who, "active") != "active":
            raise Invalid(seq, "amendment names a missing or closed entry")
    if kind == "supersession":
        status[target] = "superseded"
    elif kind == "withdrawal":
        status[target] = "withdrawn"


def main(argv):
    if not argv or argv[0].startswith("-"):
        print(__doc__, file=sys.stderr)
        return 2
    path, trusted, rest = argv[0], [], argv[1:]
    while rest:
        if rest[0] == "--trust-key" and len(rest) > 1:
            trusted.append(parse_vkey(rest[1]))
            rest = rest[2:]
        else:
            print(f"unknown argument {rest[0]}", file=sys.stderr)
            return 2
    try:
        import cryptography  # noqa: F401
        check_sigs = True
    except ImportError:
        check_sigs = False
        print("note: the 'cryptography' package is missing: signatures were not checked", file=sys.stderr)
    try:
        n, root = audit(path, trusted, check_sigs)
    except Invalid as err:
        print(f"INVALID at {err}")
        return 1
    print(f"valid: {n} entries, root {root}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
