"""``api-keys`` on the local target: the local server's keys, kept in a git-ignored file.

The key file (``API_KEYS_FILE``, by default ``.local-api-keys.json`` in the project) holds
each key's name, value and plan. It is written with mode 0600 and replaced in one step, and
the running server re-reads it when it changes, so a key created or revoked while
``make serve`` runs counts from the next request on. ``make serve`` creates a key named
``default`` with the default plan when the file has none. ``API_KEYS`` sets the keys
instead (``training/local/settings.py``); the file is then neither read nor written.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from training.errors import LocalError, UsageError
from training.local.settings import LocalSettings
from training.local.throttling import FixedKeys, KeySource, LocalKey
from training.usage_plans import DEFAULT_KEY_NAME, KEY_VALUE, UsagePlan, new_key_value

log = logging.getLogger(__name__)


def _key_from_json(item: Any) -> LocalKey:
    plan = UsagePlan(
        rate=float(item["rate"]),
        burst=int(item["burst"]),
        quota=int(item["quota"]),
        period=str(item["period"]),
    )
    key = LocalKey(str(item["name"]), str(item["value"]), plan)
    if plan.problems() or not KEY_VALUE.match(key.value):
        raise ValueError("a key or its plan is out of range")
    return key


def _key_to_json(key: LocalKey) -> dict[str, Any]:
    plan = key.plan
    return {
        "name": key.name,
        "value": key.value,
        "rate": plan.rate,
        "burst": plan.burst,
        "quota": plan.quota,
        "period": plan.period,
    }


class KeyFile:
    """The key file: read, written, and watched for changes by the running server."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._seen: tuple[int, int, int] | None = None
        self._keys: dict[str, LocalKey] = {}

    def load(self) -> list[LocalKey]:
        """The keys in the file; none when it doesn't exist."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return [_key_from_json(item) for item in data["keys"]]
        except FileNotFoundError:
            return []
        except (OSError, ValueError, KeyError, TypeError) as error:
            # The message names the file and the kind of fault, never its contents.
            raise LocalError(
                f"the key file {self.path} can't be read ({type(error).__name__}); fix or "
                "delete it (`make serve` makes a new key)"
            ) from None

    def save(self, keys: list[LocalKey]) -> None:
        text = json.dumps({"keys": [_key_to_json(key) for key in keys]}, indent=2) + "\n"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Written beside the file and renamed over it: a reader never sees half a file.
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".api-keys-")
        try:
            os.fchmod(handle, 0o600)
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def current(self) -> Mapping[str, LocalKey]:
        """The keys by value, re-read when the file has changed since the last call."""
        with self._lock:
            try:
                stat = self.path.stat()
                # A save renames a new file into place, so inode, time or size show a change.
                seen: tuple[int, int, int] | None = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
            except FileNotFoundError:
                seen = None
            if seen != self._seen:
                try:
                    self._keys = {key.value: key for key in self.load()}
                except LocalError as error:
                    log.warning("%s; keeping the %d keys read before", error, len(self._keys))
                self._seen = seen
            return self._keys


def _managed_file(settings: LocalSettings) -> KeyFile:
    if settings.api_keys is not None:
        raise UsageError(
            "API_KEYS sets the local keys, so there is no key file to change: edit API_KEYS, "
            f"or unset it to use {settings.api_keys_file}"
        )
    return KeyFile(settings.api_keys_file)


def create(
    settings: LocalSettings, name: str, plan: UsagePlan, out: Callable[[str], None] = print
) -> LocalKey:
    """Add a key to the key file and print it."""
    keys = _managed_file(settings)
    existing = keys.load()
    if any(key.name == name for key in existing):
        raise UsageError(
            f"a local key named {name!r} exists already: revoke it first "
            f"(`python -m training api-keys revoke --name {name}`), or pick another --name"
        )
    key = LocalKey(name, new_key_value(), plan)
    keys.save([*existing, key])
    out(f"created local key {name!r} ({plan.describe()}) in {keys.path}")
    out(f"x-api-key: {key.value}")
    return key


def list_keys(settings: LocalSettings, out: Callable[[str], None] = print) -> list[LocalKey]:
    """Print each local key's name and plan, never its value."""
    if settings.api_keys is not None:
        keys, origin = list(settings.api_keys), "API_KEYS"
    else:
        keys, origin = KeyFile(settings.api_keys_file).load(), str(settings.api_keys_file)
    if not keys:
        out(f"no local keys in {origin}; `make serve` or `api-keys create` makes one")
        return keys
    out(f"local keys ({origin}); the running server counts their use, in memory:")
    width = max(len(key.name) for key in keys)
    for key in keys:
        out(f"  {key.name.ljust(width)}  {key.plan.describe()}")
    return keys


def revoke(settings: LocalSettings, name: str, out: Callable[[str], None] = print) -> None:
    """Remove a key from the key file; the running server refuses it from then on."""
    keys = _managed_file(settings)
    existing = keys.load()
    kept = [key for key in existing if key.name != name]
    if len(kept) == len(existing):
        known = ", ".join(repr(key.name) for key in existing) or "none"
        raise UsageError(f"no local key named {name!r} in {keys.path} (keys: {known})")
    keys.save(kept)
    out(f"revoked local key {name!r}: the server answers it 403 from now on")


@dataclass(frozen=True)
class ServingKeys:
    """What ``make serve`` enforces, and the key its curl lines carry."""

    source: KeySource
    shown: LocalKey
    origin: str


def serving_keys(settings: LocalSettings, out: Callable[[str], None] = print) -> ServingKeys:
    """The keys to serve with: ``API_KEYS``, or the key file, given a default key if empty."""
    if settings.api_keys is not None:
        return ServingKeys(FixedKeys(settings.api_keys), settings.api_keys[0], "API_KEYS")
    keys = KeyFile(settings.api_keys_file)
    existing = keys.load()
    if not existing:
        existing = [LocalKey(DEFAULT_KEY_NAME, new_key_value(), UsagePlan())]
        keys.save(existing)
        out(f"Made a local API key, {DEFAULT_KEY_NAME!r}, in {keys.path} (git-ignored).")
    return ServingKeys(keys, existing[0], str(keys.path))
