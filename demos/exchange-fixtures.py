#!/usr/bin/env python3
"""Serves recorded exchange answers over HTTP on 127.0.0.1, standing in for the venues'
public REST APIs: GET /VENUE/PATH?QUERY answers the body fixtures/wealth/exchanges.json
holds for that venue and PATH?QUERY, verbatim, and 404 with the venue's error shape
otherwise. Prints the port, then serves until killed."""
import http.server, json, os, sys

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "wealth", "exchanges.json")
ROUTES = json.load(open(FIXTURES))
NOT_FOUND = {
    "binance": '{"code":-1121,"msg":"Invalid symbol."}',
    "kraken": '{"error":["EQuery:Unknown asset pair"]}',
    "coinbase": '{"error":"NOT_FOUND","message":"product not found"}',
}

class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        venue, _, rest = self.path.lstrip("/").partition("/")
        body = ROUTES.get(venue, {}).get("/" + rest)
        status = 200 if body is not None else (200 if venue == "kraken" else 404)
        data = (body if body is not None else NOT_FOUND.get(venue, "{}")).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass

server = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1]) if len(sys.argv) > 1 else 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
