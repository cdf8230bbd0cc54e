"""A client for the NamUs public API, as the prototype used it. Off unless configured.

Endpoints (relative to the configured base URL, e.g. ``https://www.namus.gov``):

* ``GET  /api/CaseSets/NamUs/States`` - the states, ``[{"name": ...}, ...]``;
* ``POST /api/CaseSets/NamUs/MissingPersons/Search`` - body ``{"take", "skip",
  "predicates": [{"field", "operator", "values" | "from"/"to"}], "projections": [...]}``,
  answer ``{"count": n, "results": [...]}``;
* ``GET  /api/CaseSets/NamUs/MissingPersons/Cases/{id}`` - a case document;
* image paths named in the case documents.

The Search endpoint returns at most 10,000 results for a query however it is paged, so
a larger query is split into one query per state (``stateOfLastContact``). Requests are
spaced ``min_interval_s`` apart (polite to a public service) and retried with exponential
backoff on connection errors, 429 and 5xx (honouring ``Retry-After``).

Air-gapped sites never configure it: without ``base_url`` (or the environment variable
``WORKBENCH_NAMUS_URL``) :func:`settings_from_env` returns None and the CLI refuses to sync.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from workbench import settings
from workbench.missing.records import MissingPersonsError

SEARCH_PATH = "/api/CaseSets/NamUs/MissingPersons/Search"
CASE_PATH = "/api/CaseSets/NamUs/MissingPersons/Cases/{id}"
STATES_PATH = "/api/CaseSets/NamUs/States"
STATE_FIELD = "stateOfLastContact"
DEFAULT_PROJECTIONS = (
    "namus2Number", "idFormatted", "firstName", "middleName", "lastName", "gender",
    "raceEthnicity", "computedMissingMinAge", "computedMissingMaxAge", "currentAgeFrom",
    "currentAgeTo", "dateOfLastContact", "cityOfLastContact", "countyDisplayNameOfLastContact",
    "stateDisplayNameOfLastContact", "images",
)


class NamUsError(MissingPersonsError):
    """The NamUs service is not configured, unreachable, or answered something unexpected."""


@dataclass(frozen=True)
class NamUsSettings:
    """Where and how politely to talk to NamUs.

    Attributes:
        base_url: site root, e.g. ``https://www.namus.gov`` (no trailing ``/api``).
        page_size: ``take`` per Search request.
        result_cap: the most results one Search query returns (10,000 on NamUs).
        min_interval_s: least time between two requests.
        retries: further attempts after a failed request.
        backoff_s: first retry delay; doubles each attempt.
        timeout_s: per-request timeout.
        user_agent: sent with every request so the operator can reach us.
    """

    base_url: str
    page_size: int = 1000
    result_cap: int = 10_000
    min_interval_s: float = 1.0
    retries: int = 4
    backoff_s: float = 2.0
    timeout_s: float = 30.0
    user_agent: str = "case-workbench missing-persons lookup (law enforcement)"


def settings_from_env(base_url: str | None = None, **overrides: Any) -> NamUsSettings | None:
    """Settings from ``base_url`` or ``$WORKBENCH_NAMUS_URL``; None when neither is set."""
    url = base_url or settings.read(settings.NAMUS_URL)
    return NamUsSettings(base_url=url.rstrip("/"), **overrides) if url else None


def predicates(sex: Sequence[str] | None = None, current_age: tuple[int, int] | None = None,
               race_ethnicity: Sequence[str] | None = None,
               states: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Search predicates on gender, current age, race/ethnicity and state."""
    out: list[dict[str, Any]] = []
    if sex:
        out.append({"field": "gender", "operator": "IsIn", "values": list(sex)})
    if current_age:
        out.append({"field": "currentAge", "operator": "Between",
                    "from": int(current_age[0]), "to": int(current_age[1])})
    if race_ethnicity:
        out.append({"field": "raceEthnicity", "operator": "IsIn", "values": list(race_ethnicity)})
    if states:
        out.append({"field": STATE_FIELD, "operator": "IsIn", "values": list(states)})
    return out


class NamUsClient:
    """Paged, rate-limited, retrying access to the NamUs Missing Persons API."""

    def __init__(self, settings: NamUsSettings, session: Any = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        import requests

        self.settings = settings
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = settings.user_agent
        self._sleep = sleep
        self._last = 0.0
        self.requests_made = 0

    def _request(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
        import requests

        url = path if path.startswith("http") else self.settings.base_url + path
        delay = self.settings.backoff_s
        last_error = ""
        for attempt in range(self.settings.retries + 1):
            wait = self._last + self.settings.min_interval_s - time.monotonic()
            if wait > 0:
                self._sleep(wait)
            self._last = time.monotonic()
            self.requests_made += 1
            try:
                response = self.session.request(method, url, json=body,
                                                timeout=self.settings.timeout_s)
            except requests.RequestException as error:
                last_error = f"{type(error).__name__}: {error}"
            else:
                if response.status_code < 400:
                    return response
                last_error = f"HTTP {response.status_code} from {url}"
                if response.status_code != 429 and response.status_code < 500:
                    raise NamUsError(f"{last_error}: {response.text[:200]}")
                retry_after = response.headers.get("Retry-After", "")
                if retry_after.isdigit():
                    delay = max(delay, float(retry_after))
            if attempt < self.settings.retries:
                self._sleep(delay)
                delay *= 2
        raise NamUsError(f"NamUs did not answer after {self.settings.retries + 1} tries "
                         f"({last_error}); check the base URL and try again later")

    def states(self) -> list[str]:
        """Names of the states NamUs knows."""
        return [s["name"] for s in self._request("GET", STATES_PATH).json()]

    def search(self, preds: Sequence[Mapping[str, Any]] = (),
               projections: Sequence[str] = DEFAULT_PROJECTIONS, take: int = 100,
               skip: int = 0) -> dict[str, Any]:
        """One Search request: ``{"count": total, "results": [...]}``."""
        body = {"take": take, "skip": skip, "predicates": list(preds),
                "projections": list(projections)}
        data = self._request("POST", SEARCH_PATH, body).json()
        if not isinstance(data, Mapping) or "results" not in data:
            raise NamUsError("NamUs Search answered without 'results'")
        return dict(data)

    def _pages(self, preds: Sequence[Mapping[str, Any]], projections: Sequence[str],
               total: int, first: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        yield from first
        reachable = min(total, self.settings.result_cap)
        skip = len(first)
        while skip < reachable:
            take = min(self.settings.page_size, reachable - skip)
            page = self.search(preds, projections, take, skip)["results"]
            if not page:
                break
            yield from page
            skip += len(page)

    def search_all(self, preds: Sequence[Mapping[str, Any]] = (),
                   projections: Sequence[str] = DEFAULT_PROJECTIONS
                   ) -> Iterator[dict[str, Any]]:
        """Every result of a query, paged; split by state past the result cap."""
        first = self.search(preds, projections, self.settings.page_size, 0)
        total = int(first.get("count", len(first["results"])))
        if total <= self.settings.result_cap:
            yield from self._pages(preds, projections, total, first["results"])
            return
        if any(p.get("field") == STATE_FIELD for p in preds):
            raise NamUsError(f"{total} results for one state exceed the NamUs cap of "
                             f"{self.settings.result_cap}; narrow the query (sex, age)")
        for state in self.states():
            state_preds = [*preds, *predicates(states=[state])]
            page = self.search(state_preds, projections, self.settings.page_size, 0)
            count = int(page.get("count", len(page["results"])))
            if count > self.settings.result_cap:
                raise NamUsError(f"{count} results in {state} exceed the NamUs cap; "
                                 "narrow the query (sex, age)")
            yield from self._pages(state_preds, projections, count, page["results"])

    def case(self, case_id: int | str) -> dict[str, Any]:
        """A full case document."""
        number = str(case_id).removeprefix("MP")
        return dict(self._request("GET", CASE_PATH.format(id=number)).json())

    def image(self, path: str) -> bytes:
        """The bytes of an image path from a case document."""
        return self._request("GET", path).content


def sync(registry: Any, client: NamUsClient, preds: Sequence[Mapping[str, Any]] = (),
         fetch_cases: bool = False, photo_dir: Any = None,
         embed_photo: Callable[[Any], tuple[Any, str]] | None = None,
         limit: int | None = None) -> dict[str, Any]:
    """Pull matching NamUs cases into ``registry`` (and their photos when asked).

    Args:
        registry: the :class:`~workbench.missing.store.Registry` to fill.
        client: a configured :class:`NamUsClient`.
        preds: Search predicates (see :func:`predicates`).
        fetch_cases: also fetch each case document (last-seen coordinates, images).
        photo_dir: folder to save photos in (inside the registry folder, never evidence).
        embed_photo: embeds a saved photo; without it photos are not downloaded.
        limit: stop after this many cases (for trials).
    """
    from pathlib import Path

    from workbench.missing.importers import add_photos, namus_image_paths, namus_record

    rows = []
    for row in client.search_all(preds):
        rows.append(row)
        if limit is not None and len(rows) >= limit:
            break
    docs = [client.case(r.get("namus2Number") or r.get("id")) for r in rows] if fetch_cases \
        else rows
    records = [namus_record(d) for d in docs]
    registry.upsert(records)
    report: dict[str, Any] = {"records": len(records), "requests": client.requests_made}
    if embed_photo is not None and photo_dir is not None:
        folder = Path(photo_dir)
        folder.mkdir(parents=True, exist_ok=True)
        photos = {}
        for record, doc in zip(records, docs, strict=True):
            for n, href in enumerate(namus_image_paths(doc)):
                target = folder / f"{record.id.replace(':', '_')}_{n}.jpg"
                if not target.exists():
                    target.write_bytes(client.image(href))
                photos[target] = record.id
        report.update(add_photos(registry, photos, embed_photo))
    return report
