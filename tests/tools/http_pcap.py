#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Writes a pcap of HTTP/1.1 calls carrying the values of a TSV file.

    http_pcap.py VALUES.tsv OUT.pcap
    http_pcap.py --headers HEADERS.tsv OUT.pcap

VALUES.tsv holds CATEGORY<TAB>VALUE lines (# comments). Every value is sent
twice, each time on its own connection from the DVD-rental gateway to its
catalog service, by its own client (X-Forwarded-For) with its own trace:
as the search text of GET /films/search (URL-encoded, as a browser or a
tool sends it) and as the text of a review, POST /films/N/reviews (JSON).

HEADERS.tsv holds EXPECT<TAB>NAME: VALUE[<TAB>NAME: VALUE...] lines: one
GET /films/search?q=dinosaur each, with those headers as written (a Host
among them replaces the default, catalog:8080); a User-Agent is the
line's own or a browser's.

Each call is answered 200 with a small JSON body. The order of calls is the
order of the file; line i's calls come from client 198.18.x.y, i-th, and
carry trace ids 2i (and 2i + 1).
"""
import json
import struct
import sys
import urllib.parse

GATEWAY, CATALOG = (10, 20, 0, 10), (10, 20, 3, 11)
T0 = 1_793_610_000  # 2026-11-02, inside the models' token lifetimes is not needed


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


class Pcap:
    def __init__(self, path):
        self.f = open(path, "wb")
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        self.us = 0

    def segment(self, src, dst, sport, dport, seq, ack, flags, payload=b""):
        tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0)
        pseudo = struct.pack("!4B4BBBH", *src, *dst, 0, 6, len(tcp) + len(payload))
        c = csum(pseudo + tcp + payload)
        tcp = tcp[:16] + struct.pack("!H", c) + tcp[18:]
        ip = struct.pack("!BBHHHBBH4B4B", 0x45, 0, 20 + len(tcp) + len(payload), 0, 0x4000,
                         64, 6, 0, *src, *dst)
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        frame = b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x08\x00" + ip + tcp + payload
        self.us += 50
        self.f.write(struct.pack("<IIII", T0 + self.us // 1_000_000, self.us % 1_000_000,
                                 len(frame), len(frame)))
        self.f.write(frame)

    def call(self, sport, request, response):
        c, s = (GATEWAY, sport), (CATALOG, 8080)
        a, b = 1000, 5000
        self.segment(c[0], s[0], c[1], s[1], a, 0, 0x02)
        self.segment(s[0], c[0], s[1], c[1], b, a + 1, 0x12)
        self.segment(c[0], s[0], c[1], s[1], a + 1, b + 1, 0x10)
        self.segment(c[0], s[0], c[1], s[1], a + 1, b + 1, 0x18, request)
        self.segment(s[0], c[0], s[1], c[1], b + 1, a + 1 + len(request), 0x18, response)
        self.segment(c[0], s[0], c[1], s[1], a + 1 + len(request), b + 1 + len(response), 0x11)
        self.segment(s[0], c[0], s[1], c[1], b + 1 + len(response), a + 2 + len(request), 0x11)
        self.segment(c[0], s[0], c[1], s[1], a + 2 + len(request), b + 2 + len(response), 0x10)


def request(method, target, client, trace, body=None, headers=()):
    names = {h.split(":", 1)[0].strip().lower() for h in headers}
    head = f"{method} {target} HTTP/1.1\r\n"
    if "host" not in names:
        head += "Host: catalog:8080\r\n"
    if "user-agent" not in names:
        head += "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n"
    head += "".join(h + "\r\n" for h in headers)
    head += (f"X-Forwarded-For: {client}\r\n"
             f"traceparent: 00-{trace:032x}-{trace & 0xFFFFFFFFFFFFFFFF:016x}-01\r\n")
    if body is None:
        return (head + "\r\n").encode()
    return (head + f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
            ).encode() + body


def main():
    args = sys.argv[1:]
    headers = args[:1] == ["--headers"]
    if headers:
        args = args[1:]
    if len(args) != 2:
        sys.exit("usage: http_pcap.py [--headers] FILE.tsv OUT.pcap")
    out = Pcap(args[1])
    answer = b'{"ok":true}'
    response = (f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(answer)}\r\n\r\n").encode() + answer
    n = 0
    with open(args[0], encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#") or "\t" not in line:
                continue
            value = line.split("\t", 1)[1]
            n += 1
            client = f"198.18.{n >> 8 & 255}.{n & 255}"
            if headers:
                out.call(20000 + 2 * n % 40000,
                         request("GET", "/films/search?q=dinosaur", client, 2 * n,
                                 headers=value.split("\t")), response)
                continue
            q = urllib.parse.quote(value, safe="")
            out.call(20000 + 2 * n % 40000,
                     request("GET", f"/films/search?q={q}", client, 2 * n), response)
            body = json.dumps({"rating": 4, "body": value}).encode()
            out.call(20001 + 2 * n % 40000,
                     request("POST", f"/films/{100 + n}/reviews", client, 2 * n + 1, body),
                     response)
    out.f.close()
    print(f"{n} lines, {n if headers else 2 * n} calls", file=sys.stderr)


if __name__ == "__main__":
    main()
