#!/usr/bin/env python3
"""An independent implementation of the rating hash chain (crates/protocol/src/chain.rs),
used to produce the fixed test vectors there. Run: python3 docs/chain_vector.py"""
import hashlib
import struct


def text(s):
    b = s.encode("utf-8")
    return b"S" + struct.pack(">I", len(b)) + b


def optional(s):
    return b"N" if s is None else text(s)


def integer(n):
    return b"I" + struct.pack(">Q", n)


def lst(n):
    return b"L" + struct.pack(">I", n)


def genesis(terminal_id):
    return hashlib.sha256(b"hailong-genesis-v1\n" + terminal_id.encode()).hexdigest()


def canonical(r):
    out = b"hailong-rating-v1\n"
    out += text(r["id"]) + integer(r["seq"]) + text(r["terminal_id"]) + text(r["commune_code"])
    for key in ("counter_id", "staff_id", "field_id", "dossier_code"):
        out += optional(r[key])
    out += text(r["stage"]) + text(r["question_set_id"]) + integer(r["question_set_version"])
    out += integer(r["level"]) + integer(r["level_count"])
    out += lst(len(r["answers"]))
    for a in r["answers"]:
        out += text(a["criterion_id"]) + integer(a["value"]) + integer(a["points"])
    out += lst(len(r["reasons"])) + b"".join(text(x) for x in r["reasons"])
    out += text(r["language"]) + text(r["device_time"]) + text(r["sealed_at"])
    out += text(r["seal_cause"])
    out += lst(len(r["flags"])) + b"".join(text(x) for x in r["flags"])
    out += text(r["prev_hash"])
    if r.get("comment") is not None or r.get("complaint") or r.get("callback") is not None:
        out += optional(r.get("comment")) + integer(1 if r.get("complaint") else 0)
        cb = r.get("callback")
        if cb is None:
            out += b"N"
        else:
            out += lst(2) + text(cb["consent_version"]) + text(phone_digest(cb["phone"]))
    return out


def phone_digest(phone):
    return hashlib.sha256(b"hailong-phone-v1\n" + phone.encode()).hexdigest()


fixed = {
    "id": "019a8f4e-0c00-7000-8000-000000000001", "seq": 1, "terminal_id": "t-0001",
    "commune_code": "00004", "counter_id": "q1", "staff_id": None, "field_id": "ho-tich",
    "dossier_code": "H12-0001", "stage": "return", "question_set_id": "nhanh-3",
    "question_set_version": 1, "level": 1, "level_count": 3,
    "answers": [{"criterion_id": "tt01-3", "value": 2, "points": 1}],
    "reasons": ["cho-lau", "thai-do"], "language": "vi",
    "device_time": "2026-11-23T09:00:00+07:00", "sealed_at": "2026-11-23T09:00:20+07:00",
    "seal_cause": "completed", "flags": ["suspected_repeat"], "prev_hash": genesis("t-0001"),
}
data = canonical(fixed)
print("len", len(data))
print("genesis", genesis("t-0001"))
print("hash", hashlib.sha256(data).hexdigest())

feedback = dict(fixed, comment="Thái độ tốt", complaint=True,
                callback={"phone": "0912345678", "consent_version": "pakn-2026-01"})
data = canonical(feedback)
print("feedback len", len(data))
print("phone digest", phone_digest("0912345678"))
print("feedback hash", hashlib.sha256(data).hexdigest())
