"""The HTTP provider: ``HttpHook`` (the client), ``HttpOperator`` and ``HttpSensor``.

from plugins.http import HttpOperator, HttpSensor
"""

from plugins.http.hook import HttpBusinessError, HttpError, HttpHook
from plugins.http.operators import HttpOperator
from plugins.http.retry import HttpRetryPolicy, parse_retry_after
from plugins.http.sensors import HttpSensor
from scheduler import BatonPlugin

plugin = BatonPlugin(
    name="http",
    hooks=[HttpHook],
    operators=[HttpOperator],
    sensors=[HttpSensor],
    connection_types={"http": HttpHook, "https": HttpHook},
)

__all__ = [
    "HttpHook",
    "HttpOperator",
    "HttpSensor",
    "HttpRetryPolicy",
    "HttpError",
    "HttpBusinessError",
    "parse_retry_after",
    "plugin",
]
