#!/usr/bin/env python3
"""A small HTTP server for the http.Request tests, bound to 127.0.0.1 on a
random port (written to the file named by argv[1]).

  /json                 200 {"hello": "world"}
  /status/N             status N, body "status N"
  /echo                 200, JSON of the request: method, path, headers, body
  /redirect?to=U&code=C status C (default 302) with Location U
  /big?n=N              N bytes of "x"
  /slow?s=S             waits S seconds, then 200 "slow"
  /binary               bytes that are not text
"""
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def send(self, code, body, ctype="text/plain", extra=None):
        data = body if isinstance(body, bytes) else body.encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Test", "weft")
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def handle_any(self):
        u = urlsplit(self.path)
        q = parse_qs(u.query)
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n).decode("utf-8", "replace") if n else ""
        if u.path == "/json":
            self.send(200, json.dumps({"hello": "world"}), "application/json")
        elif u.path.startswith("/status/"):
            code = int(u.path.split("/")[2])
            self.send(code, "status %d" % code)
        elif u.path == "/echo":
            doc = {
                "method": self.command,
                "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": body,
            }
            self.send(200, json.dumps(doc), "application/json")
        elif u.path == "/redirect":
            code = int(q.get("code", ["302"])[0])
            self.send(code, "", extra={"Location": q["to"][0]})
        elif u.path == "/big":
            self.send(200, "x" * int(q["n"][0]))
        elif u.path == "/slow":
            time.sleep(float(q["s"][0]))
            self.send(200, "slow")
        elif u.path == "/binary":
            self.send(200, b"\x00\xff\xfe binary", "application/octet-stream")
        else:
            self.send(404, "no such path")

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = handle_any


def main():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    import os
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])
    srv.serve_forever()


if __name__ == "__main__":
    main()
