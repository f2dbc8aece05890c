"""A Redis cache that fails open: when Redis does not answer, a read is a miss and a
write does nothing (both logged), so pages keep working through a Redis outage — only
slower (nothing cached) and, for the while, without the rate limits kept in the cache.
The background work that would have gone to Redis is kept in the outbox meanwhile
(``legami.outbox``)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)
DOWN = (RedisConnectionError, RedisTimeoutError, ConnectionError, TimeoutError)
T = TypeVar("T")


def _or(fallback: Callable[..., Any]) -> Callable[[Callable[..., T]], Callable[..., T]]:
    def decorate(method: Callable[..., T]) -> Callable[..., T]:
        @wraps(method)
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> T:
            try:
                return method(self, *args, **kwargs)
            except DOWN as exc:
                logger.warning("cache unavailable (%s): %s fails open", exc, method.__name__)
                return fallback(*args, **kwargs)

        return wrapper

    return decorate


def _default(key: str, default: Any = None, *args: Any, **kwargs: Any) -> Any:
    return default


def _missing(key: str, *args: Any, **kwargs: Any) -> Any:
    raise ValueError(f"Key {key!r} not found (the cache does not answer).")


class ResilientRedisCache(RedisCache):
    get = _or(_default)(RedisCache.get)
    set = _or(lambda *a, **k: None)(RedisCache.set)
    # As if stored: a lock taken with add (allauth's rate limits) is taken, not waited for.
    add = _or(lambda *a, **k: True)(RedisCache.add)
    touch = _or(lambda *a, **k: False)(RedisCache.touch)
    delete = _or(lambda *a, **k: False)(RedisCache.delete)
    has_key = _or(lambda *a, **k: False)(RedisCache.has_key)
    incr = _or(_missing)(RedisCache.incr)
    get_many = _or(lambda *a, **k: {})(RedisCache.get_many)
    set_many = _or(lambda keys, *a, **k: list(keys))(RedisCache.set_many)
    delete_many = _or(lambda *a, **k: None)(RedisCache.delete_many)
    clear = _or(lambda *a, **k: False)(RedisCache.clear)
