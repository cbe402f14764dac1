"""Shared HTTP client of the provider plug-ins: retries, backoff, rate limit, redaction.

* Every request first takes a token from the source's :class:`TokenBucket`.
* 429, 5xx, timeouts and connection errors are retried up to ``max_retries`` times with
  exponential backoff and jitter (``base * 2**attempt``, scaled by a random factor in [0.5, 1));
  a ``Retry-After`` header (seconds or HTTP date) replaces the computed delay and blocks the
  bucket for every thread. A Retry-After longer than ``backoff_max_s`` fails at once.
* After the last retry a 429 becomes :class:`RateLimitedError`, anything else
  :class:`UnavailableError`. Other 4xx map to NotFoundError (404), AuthenticationError
  (401/403) or ValidationError, unless the source's ``error_mapper`` knows better.
* A source's ``payload_check`` sees every 2xx body; a ``RateLimitedError`` it raises (providers
  that say "slow down" inside a 200) is retried like a 429.
* Secrets never leave: query parameters named in ``secret_params`` and the secret values
  themselves are replaced by ``***`` in log records (ours and httpx's) and error texts.
"""

from __future__ import annotations

import email.utils
import logging
import random
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus, urlencode, urlsplit, urlunsplit

import httpx
from pydantic import SecretStr

from nautilus.core.errors import (
    AuthenticationError,
    NautilusError,
    NotFoundError,
    RateLimitedError,
    UnavailableError,
    ValidationError,
)
from nautilus.data.base import DataSource, DataSourceConfig
from nautilus.data.ratelimit import TokenBucket

log = logging.getLogger(__name__)

ErrorMapper = Callable[[httpx.Response], NautilusError | None]
PayloadCheck = Callable[[httpx.Response], None]

DEFAULT_SECRET_PARAMS = frozenset({"api_key", "apikey", "key", "token", "c", "access_token"})


class _Redactor(logging.Filter):
    """Scrubs registered secret values from every record passing the httpx loggers."""

    def __init__(self) -> None:
        super().__init__()
        self._secrets: set[str] = set()
        self._lock = threading.Lock()

    def add(self, secrets: Iterable[str]) -> None:
        with self._lock:
            self._secrets.update(s for s in secrets if s and len(s) >= 3)

    def scrub(self, text: str) -> str:
        with self._lock:
            secrets = sorted(self._secrets, key=len, reverse=True)
        for s in secrets:
            text = text.replace(s, "***")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        clean = self.scrub(msg)
        if clean != msg:
            record.msg, record.args = clean, ()
        return True


_REDACTOR = _Redactor()
for _name in ("httpx", "httpcore"):
    logging.getLogger(_name).addFilter(_REDACTOR)


def redact_url(url: str | httpx.URL, secret_params: Iterable[str] = DEFAULT_SECRET_PARAMS) -> str:
    """``url`` with the values of secret query parameters replaced by ``***``.

    >>> redact_url("https://x.test/q?series_id=GDP&api_key=abc123")
    'https://x.test/q?series_id=GDP&api_key=%2A%2A%2A'
    """
    names = {n.lower() for n in secret_params}
    parts = urlsplit(str(url))
    query = [(k, "***" if k.lower() in names else v)
             for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class HttpClient:
    """httpx wrapper for one source (see module docstring for the retry and error policy).

    Pass ``transport`` (an httpx transport, e.g. one replaying recordings) or a ready
    ``client`` to inject; ``sleep`` and ``rng`` make the backoff deterministic in tests.
    """

    def __init__(
        self,
        *,
        source: str,
        base_url: str,
        bucket: TokenBucket,
        timeout_s: float = 10.0,
        max_retries: int = 3,
        backoff_base_s: float = 0.5,
        backoff_max_s: float = 30.0,
        acquire_timeout_s: float | None = 30.0,
        headers: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
        secrets: Iterable[str] = (),
        secret_params: Iterable[str] = DEFAULT_SECRET_PARAMS,
        error_mapper: ErrorMapper | None = None,
        payload_check: PayloadCheck | None = None,
        client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.source = source
        self.bucket = bucket
        self.max_retries = max_retries
        self.backoff_base_s = backoff_base_s
        self.backoff_max_s = backoff_max_s
        self.acquire_timeout_s = acquire_timeout_s
        self.error_mapper = error_mapper
        self.payload_check = payload_check
        self.secret_params = frozenset(secret_params)
        # URLs carry secrets percent-encoded, so scrub those spellings too.
        variants = {v for s in secrets if s for v in (s, quote(s, safe=""), quote_plus(s))}
        self._secrets = tuple(sorted(variants, key=len, reverse=True))
        _REDACTOR.add(self._secrets)
        self._default_params = dict(params or {})
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._own_client = client is None
        self._client = client or httpx.Client(
            base_url=base_url, timeout=timeout_s, headers=headers or {}, transport=transport,
            follow_redirects=True,
        )
        self.retries = 0

    def close(self) -> None:
        if self._own_client:
            self._client.close()

    def redact(self, text: str) -> str:
        """``text`` with secret values replaced by ``***``."""
        for s in self._secrets:
            text = text.replace(s, "***")
        return text

    def _describe(self, request: httpx.Request) -> str:
        return self.redact(redact_url(request.url, self.secret_params))

    def get_json(self, url: str, params: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None) -> Any:
        """GET ``url`` (relative to the base URL) and decode its JSON body."""
        response = self.request("GET", url, params=params, headers=headers)
        try:
            return response.json()
        except ValueError:
            raise UnavailableError(
                f"{self.source}: response from {self._describe(response.request)} is not JSON",
                code="provider_bad_payload", source=self.source) from None

    def get_text(self, url: str, params: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None) -> str:
        return self.request("GET", url, params=params, headers=headers).text

    def request(self, method: str, url: str, *, params: dict[str, Any] | None = None,
                headers: dict[str, str] | None = None) -> httpx.Response:
        """Send with rate limiting and retries; return a 2xx response or raise our errors."""
        merged = {**self._default_params, **(params or {})}
        attempt = 0
        while True:
            self.bucket.acquire(timeout=self.acquire_timeout_s)
            err, retry_after = self._attempt(method, url, merged, headers)
            if isinstance(err, httpx.Response):
                return err
            if attempt >= self.max_retries:
                raise err
            if retry_after is not None and retry_after > self.backoff_max_s:
                raise err
            if retry_after is not None:
                # The bucket makes every thread of this source wait, this one included.
                delay = retry_after
                self.bucket.block_for(retry_after)
            else:
                delay = self._backoff(attempt)
            log.warning("%s (attempt %d/%d), retrying in %.2fs", err.detail, attempt + 1,
                        self.max_retries + 1, delay)
            self.retries += 1
            if retry_after is None:
                self._sleep(delay)
            attempt += 1

    def _backoff(self, attempt: int) -> float:
        base = min(self.backoff_max_s, self.backoff_base_s * (2**attempt))
        return base * (0.5 + 0.5 * self._rng.random())

    def _attempt(self, method: str, url: str, params: dict[str, Any],
                 headers: dict[str, str] | None,
                 ) -> tuple[httpx.Response | NautilusError, float | None]:
        """One try: the response if final-good, else (retryable error, retry_after) or raise."""
        try:
            response = self._client.request(method, url, params=params or None, headers=headers)
        except httpx.TimeoutException as exc:
            where = self._describe(exc.request) if _has_request(exc) else url
            return UnavailableError(f"{self.source}: timeout on {where}",
                                    code="provider_timeout", source=self.source), None
        except httpx.TransportError as exc:
            where = self._describe(exc.request) if _has_request(exc) else url
            return UnavailableError(
                f"{self.source}: cannot reach {where} ({type(exc).__name__})",
                code="provider_unreachable", source=self.source), None
        where = self._describe(response.request)
        status = response.status_code
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if status == 429:
            mapped = self.error_mapper(response) if self.error_mapper else None
            if isinstance(mapped, RateLimitedError) and retry_after is None:
                return self._clean(mapped), None
            return RateLimitedError(
                f"{self.source}: rate limited (HTTP 429) on {where}",
                retry_after=retry_after if retry_after is not None else self._backoff(0),
            ), retry_after
        if status >= 500:
            return UnavailableError(f"{self.source}: HTTP {status} on {where}",
                                    code="provider_error", source=self.source,
                                    http_status=status), retry_after
        if status >= 400:
            mapped = self.error_mapper(response) if self.error_mapper else None
            if isinstance(mapped, RateLimitedError):
                return self._clean(mapped), (mapped.retry_after if retry_after is None
                                             else retry_after)
            raise self._clean(mapped or self._default_error(status, where))
        if self.payload_check is not None:
            try:
                self.payload_check(response)
            except RateLimitedError as exc:
                return self._clean(exc), None
            except NautilusError as exc:
                raise self._clean(exc) from None
        return response, None

    def _default_error(self, status: int, where: str) -> NautilusError:
        detail = f"{self.source}: HTTP {status} on {where}"
        if status == 404:
            return NotFoundError(detail, code="provider_not_found", source=self.source)
        if status in (401, 403):
            return AuthenticationError(detail, code="provider_auth", source=self.source)
        return ValidationError(detail, code="provider_rejected", source=self.source,
                               http_status=status)

    def _clean(self, exc: NautilusError) -> NautilusError:
        """Scrub secrets from an error's detail and extras (in place; returns it)."""
        exc.detail = self.redact(exc.detail)
        exc.args = (exc.detail,)
        exc.extra = {k: self.redact(v) if isinstance(v, str) else v for k, v in exc.extra.items()}
        return exc


def _has_request(exc: httpx.RequestError) -> bool:
    try:
        exc.request  # noqa: B018 - raises RuntimeError when the error has no request
    except RuntimeError:
        return False
    return True


def json_body(response: httpx.Response) -> Any:
    """The JSON body, or None if it is not JSON (error pages are often HTML or text)."""
    try:
        return response.json()
    except ValueError:
        return None


class HttpSource(DataSource):
    """A :class:`DataSource` that talks to a web API through one :class:`HttpClient`.

    Every ``SecretStr`` field of the config is registered for redaction. Subclasses override
    :meth:`client_options` for auth headers, default parameters and error mapping.
    """

    def __init__(self, config: DataSourceConfig | None = None, *,
                 transport: httpx.BaseTransport | None = None,
                 client: httpx.Client | None = None,
                 sleep: Callable[[float], None] = time.sleep,
                 rng: random.Random | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(config, sleep=sleep, clock=clock)
        cfg = self.config
        secrets = [v.get_secret_value() for v in cfg.__dict__.values()
                   if isinstance(v, SecretStr)]
        options = self.client_options()
        self.http = HttpClient(
            source=self.name, base_url=cfg.base_url, bucket=self.rate_limit,
            timeout_s=cfg.timeout_s, max_retries=cfg.max_retries,
            backoff_base_s=cfg.backoff_base_s, backoff_max_s=cfg.backoff_max_s,
            acquire_timeout_s=cfg.acquire_timeout_s, secrets=secrets, client=client,
            transport=transport, sleep=sleep, rng=rng, **options,
        )

    def client_options(self) -> dict[str, Any]:
        """Extra :class:`HttpClient` keyword arguments (headers, params, error_mapper...)."""
        return {}

    def close(self) -> None:
        self.http.close()
