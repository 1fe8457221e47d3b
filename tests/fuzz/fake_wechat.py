"""A stand-in for WeChat's jscode2session, so that the fuzzer's
`POST /auth/wechat` reaches a server that answers like WeChat: codes that
start with `code-` are good (their openid follows from the code), any
other code gets WeChat's 40029. Prints the port it listens on."""

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


class WeChat(BaseHTTPRequestHandler):
    def do_GET(self):
        url = urlparse(self.path)
        query = parse_qs(url.query)
        code = query.get("js_code", [""])[0]
        if url.path != "/sns/jscode2session":
            body = {"errcode": 40001, "errmsg": "unknown api"}
        elif code.startswith("code-"):
            body = {"openid": "o-" + code[5:37], "session_key": "fuzz-session-key"}
        else:
            body = {"errcode": 40029, "errmsg": "invalid code"}
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", 0), WeChat)
    print(server.server_address[1], flush=True)
    server.serve_forever()
