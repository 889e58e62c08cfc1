#!/usr/bin/env python3
"""The HTTP peer of tests/integration/file_tasks.sh, bound to 127.0.0.1 on a
random port (written to the file named by argv[1]); argv[2] is its folder.

  GET  /files/NAME   the file DIR/files/NAME (http.server's own handler)
  POST /upload       a multipart/form-data body: every part is written to
                     DIR/received/<part name> as the bytes received, and the
                     answer lists {name: [filename, size]}
"""
import json
import os
import sys
from email import policy
from email.parser import BytesParser
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer


class Handler(SimpleHTTPRequestHandler):
    def log_message(self, fmt, *args):
        pass

    def do_POST(self):
        base = self.server.base
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        ctype = self.headers.get("Content-Type", "")
        seen = {}
        if ctype.startswith("multipart/form-data"):
            msg = BytesParser(policy=policy.HTTP).parsebytes(
                b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + body)
            out = os.path.join(base, "received")
            os.makedirs(out, exist_ok=True)
            for part in msg.iter_parts():
                name = part.get_param("name", header="content-disposition")
                data = part.get_payload(decode=True) or b""
                with open(os.path.join(out, os.path.basename(name)), "wb") as f:
                    f.write(data)
                seen[name] = [part.get_filename(), len(data)]
        data = json.dumps({"contentType": ctype.split(";")[0], "parts": seen}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def main():
    base = sys.argv[2]
    srv = ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=base))
    srv.base = base
    tmp = sys.argv[1] + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(tmp, sys.argv[1])
    srv.serve_forever()


if __name__ == "__main__":
    main()
