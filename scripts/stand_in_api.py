#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A stand-in API on loopback for attack tools to talk to (attack_tools.sh):
answers every call 200 with a small JSON body, reading any request body,
but for a path that ends in "/": there an HTML page, for a scanner's
crawler, that links a search with a query and holds a review form, under
the same prefix (a scanner attacks the parameters it finds). Under /dirb/
it answers as an application does to a path guesser: 404 but for a few
paths that exist.

    stand_in_api.py PORT
"""
import http.server
import json
import socketserver
import sys


PAGE = """<!doctype html><html><head><title>films</title></head><body>
<a href="PREFIX/films/search?q=drama&amp;limit=10">search</a>
<form method="post" action="PREFIX/films/101/reviews">
<input type="text" name="body" value="great film">
<input type="text" name="rating" value="4">
<input type="submit" value="send"></form></body></html>
"""


DIRB_FOUND = {"/dirb/", "/dirb/admin/", "/dirb/api/", "/dirb/login", "/dirb/robots.txt"}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def answer(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)
        kind = "application/json"
        body = json.dumps({"items": [{"id": 7, "title": "Academy Dinosaur"}],
                           "count": 1}).encode()
        status = 200
        if self.path.startswith("/dirb/") and self.path not in DIRB_FOUND:
            status, body = 404, b'{"error":"not found"}'
        elif self.path.endswith("/"):
            kind = "text/html"
            body = PAGE.replace("PREFIX", self.path.rstrip("/")).encode()
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = answer

    def log_message(self, *args):
        pass


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        pass  # a scanner drops connections mid-request: not news


Server(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
