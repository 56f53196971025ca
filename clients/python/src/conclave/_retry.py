"""When to retry a request and how long to wait first."""

from __future__ import annotations

import random
from dataclasses import dataclass

from .errors import APIStatusError, ConclaveError, ConnectionError, RateLimitError, parse_retry_after


@dataclass
class RetryPolicy:
    """Jittered exponential backoff.

    Retried: connection failures and timeouts; 408; 409 when an earlier attempt with the same
    `Idempotency-Key` is still running; 429 that names a `Retry-After`; 5xx. A `Retry-After` is
    honoured (never retried sooner); one longer than `max_retry_after` is not waited for and the
    error is raised instead. Without one, the n-th retry waits a random time in
    [d/2, d] with d = min(max_delay, initial_delay * 2**n).
    """

    max_retries: int = 3
    initial_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0

    def backoff(self, attempt: int) -> float:
        ceiling = min(self.max_delay, self.initial_delay * (2 ** attempt))
        return random.uniform(ceiling / 2, ceiling)

    def delay_for(self, error: ConclaveError, attempt: int, *, connection_retry_safe: bool = True) -> float | None:
        """Seconds to wait before retry number `attempt + 1`, or None when not to retry."""
        if attempt >= self.max_retries:
            return None
        if isinstance(error, ConnectionError):
            return self.backoff(attempt) if connection_retry_safe else None
        if not isinstance(error, APIStatusError) or error.status is None:
            return None
        retry_after = error.retry_after if isinstance(error, RateLimitError) else \
            parse_retry_after(error.headers.get("retry-after"))
        if error.status == 429 and retry_after is None:
            # e.g. contract v1.1's exhausted loop budget: waiting does not help, a human must speak
            return None
        if not (error.status in (408, 429) or error.status >= 500 or _idempotency_in_progress(error)):
            return None
        if retry_after is not None:
            if retry_after > self.max_retry_after:
                return None
            # never sooner than asked; a little jitter so that many clients do not return at once
            return retry_after + random.uniform(0, min(1.0, 0.1 * retry_after + 0.05))
        return self.backoff(attempt)


def _idempotency_in_progress(error: APIStatusError) -> bool:
    return error.status == 409 and "in progress" in (error.detail or "") and "Idempotency-Key" in (error.detail or "")
