"""The sample app: an HTTP service that counts its visits in Redis."""
import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import resp

REDIS_HOST = os.environ.get("REDIS_HOST", "redis")


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/health":
            self.reply(200, {"status": "ok"})
        elif self.path == "/hits":
            self.reply(200, {"hits": resp.command(REDIS_HOST, "INCR", "hits")})
        else:
            self.reply(404, {"error": f"no route {self.path}"})

    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):
        print("app:", format % args, flush=True)


if __name__ == "__main__":
    print(f"listening on :8000, counting in redis at {REDIS_HOST}", flush=True)
    ThreadingHTTPServer(("0.0.0.0", 8000), Handler).serve_forever()
