"""A local stand-in for the NamUs API on 127.0.0.1, answering with the real shapes.

Its cases are invented (``Fictional`` names). Like NamUs, Search returns at most
10,000 results for one query however it is paged; the first request of each kind can be
made to fail with 503 to exercise retries.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

CAP = 10_000
STATES = ["Alabama", "Oregon", "Vermont"]
PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")


def make_cases(n: int) -> list[dict[str, Any]]:
    cases = []
    for i in range(n):
        number = 100_000 + i
        state = STATES[i % len(STATES)] if i < n - 10 else STATES[0]
        cases.append({
            "id": number, "idFormatted": f"MP{number}",
            "subjectIdentification": {"firstName": "Fictional", "lastName": f"Case{i}",
                                      "middleName": None, "computedMissingMinAge": 10 + i % 7,
                                      "computedMissingMaxAge": 10 + i % 7,
                                      "currentMinAge": 20, "currentMaxAge": 20},
            "subjectDescription": {"sex": {"name": "Female" if i % 2 else "Male"},
                                   "primaryEthnicity": {"name": "Other"},
                                   "ethnicities": [{"name": "White / Caucasian"}]},
            "sighting": {"date": f"2015-03-0{1 + i % 9}",
                         "address": {"city": "Springfield", "state": {"name": state}},
                         "publicGeolocation": {"formattedAddress": f"Springfield, {state}",
                                               "coordinates": {"lat": 44.0, "lon": -123.0}}},
            "images": [{"identityId": 1, "isPublic": True, "category": {"name": "ActualPhoto"},
                        "files": {"original": {"href": f"/api/CaseSets/NamUs/MissingPersons/"
                                                       f"Cases/{number}/Images/1/Original"}}}],
            "caseIsResolved": False,
        })
    return cases


def search_row(case: dict[str, Any]) -> dict[str, Any]:
    ident, desc = case["subjectIdentification"], case["subjectDescription"]
    return {"namus2Number": case["id"], "idFormatted": case["idFormatted"],
            "firstName": ident["firstName"], "lastName": ident["lastName"],
            "gender": desc["sex"]["name"], "raceEthnicity": "White / Caucasian",
            "computedMissingMinAge": ident["computedMissingMinAge"],
            "computedMissingMaxAge": ident["computedMissingMaxAge"],
            "dateOfLastContact": case["sighting"]["date"], "cityOfLastContact": "Springfield",
            "stateDisplayNameOfLastContact": case["sighting"]["address"]["state"]["name"]}


class FakeNamUs:
    """Start with ``with FakeNamUs(n) as api: api.url``."""

    def __init__(self, n_cases: int, fail_first: int = 0) -> None:
        self.cases = make_cases(n_cases)
        self.by_id = {c["id"]: c for c in self.cases}
        self.fail_left = fail_first
        self.log: list[tuple[str, str, Any]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, status: int, body: bytes, kind: str = "application/json") -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                if status == 503:
                    self.send_header("Retry-After", "0")
                self.end_headers()
                self.wfile.write(body)

            def _maybe_fail(self) -> bool:
                if outer.fail_left > 0:
                    outer.fail_left -= 1
                    self._send(503, b'{"message": "busy"}')
                    return True
                return False

            def do_GET(self) -> None:
                outer.log.append(("GET", self.path, None))
                if self._maybe_fail():
                    return
                if self.path == "/api/CaseSets/NamUs/States":
                    body = [{"name": s, "displayName": s} for s in STATES]
                    return self._send(200, json.dumps(body).encode())
                parts = self.path.strip("/").split("/")
                if self.path.endswith("/Original"):
                    return self._send(200, PNG_1PX, "image/png")
                if len(parts) == 6 and parts[4] == "Cases" and int(parts[5]) in outer.by_id:
                    return self._send(200, json.dumps(outer.by_id[int(parts[5])]).encode())
                self._send(404, b'{"message": "not found"}')

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.log.append(("POST", self.path, body))
                if self._maybe_fail():
                    return
                rows = outer.cases
                for pred in body.get("predicates", []):
                    values = set(pred.get("values", []))
                    if pred["field"] == "stateOfLastContact":
                        rows = [c for c in rows
                                if c["sighting"]["address"]["state"]["name"] in values]
                    elif pred["field"] == "gender":
                        rows = [c for c in rows if c["subjectDescription"]["sex"]["name"] in values]
                skip, take = int(body.get("skip", 0)), int(body.get("take", 0))
                visible = rows[:CAP]  # the real service never returns past its cap
                page = [search_row(c) for c in visible[skip:skip + take]]
                self._send(200, json.dumps({"count": len(rows), "results": page}).encode())

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> FakeNamUs:
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
