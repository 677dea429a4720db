"""What a template can see: `env` (ZCRM_VAR_* variables only) and `vars`, both recording
what each render read, so that a value built from the environment can be masked.

The rule (README "Templates"): a template reads `env.ZCRM_VAR_NAME`, by its full name,
and nothing else of the environment. CI runners hold tokens, keys and database URLs in
variables a manifest has no business reading (issue 9), so reading is opt-in by prefix:
a variable is exported as ZCRM_VAR_* on purpose. The full name, not a `NAME` alias as
Terraform's TF_VAR_ gives, because the name in the manifest is then the one to grep for
in the CI configuration, and `env.REGION` can never mean two different variables.

Any other name is refused with an `EnvRefused` that lists the readable names (never a
value); ZOHO_* gets its own reason, since those are the runner's credentials. `env` can
be neither listed, printed nor serialised: only looked up, one name at a time.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any, NoReturn

ENV_PREFIX = "ZCRM_VAR_"
_SHOWN_NAMES = 10
_MIN_BARE = 4  # shorter values are masked only where quoted ('EU'): a bare "EU" is a word
_WHOLE = "read one variable at a time, by its name: env.ZCRM_VAR_NAME"


def is_secret_name(name: str) -> bool:
    """The runner's credentials and settings all live in ZOHO_* variables."""
    return name.upper().startswith("ZOHO_")


def is_readable(name: object) -> bool:
    """Whether a template may read this variable: ZCRM_VAR_ and at least one more letter."""
    return isinstance(name, str) and name.startswith(ENV_PREFIX) and len(name) > len(ENV_PREFIX)


def shown_name(name: object) -> str:
    """How a lookup reads in a message: `env.NAME`, or `env['a b']` when not an identifier."""
    return f"env.{name}" if isinstance(name, str) and name.isidentifier() else f"env[{name!r}]"


class EnvRefused(Exception):
    """A template used `env` in a way it may not (not a LookupError: Jinja cannot hide it,
    and `| default(...)` cannot turn it into an empty string)."""

    def __init__(self, message: str, fix: str, *, credential: str | None = None) -> None:
        self.message = message
        self.fix = fix
        self.credential = credential  # a ZOHO_* name: the manifest reads a credential
        super().__init__(message)


class EnvView:
    """The ZCRM_VAR_* variables, looked up one at a time; every lookup is recorded.

    Holds no other variable at all, so neither a sandbox escape nor a bug in a lookup
    can reach GITHUB_TOKEN: it is not in here.
    """

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._values = {k: v for k, v in environ.items() if is_readable(k)}
        self.reads: set[str] = set()

    @property
    def readable(self) -> str:
        """The names set, for messages: `set: ZCRM_VAR_A, ZCRM_VAR_B` (never a value)."""
        names = sorted(self._values)
        if not names:
            return f"no {ENV_PREFIX}* variable is set"
        more = f" and {len(names) - _SHOWN_NAMES} more" if len(names) > _SHOWN_NAMES else ""
        return "set: " + ", ".join(names[:_SHOWN_NAMES]) + more

    def _check(self, name: object) -> str:
        if isinstance(name, str) and is_secret_name(name):
            raise EnvRefused(
                f"{shown_name(name)} is not readable: ZOHO_* variables are the runner's "
                "credentials",
                "remove it; credentials never go into a manifest",
                credential=name,
            )
        if not is_readable(name):
            raise EnvRefused(
                f"{shown_name(name)} is not readable: templates read only {ENV_PREFIX}* "
                f"variables ({self.readable})",
                f"put the value in a {ENV_PREFIX}* variable and read it by that name",
            )
        assert isinstance(name, str)
        return name

    def lookup(self, name: object) -> str | None:
        """The variable's value, None when it is not set; refuses any other name."""
        key = self._check(name)
        value = self._values.get(key)
        if value is not None:
            self.reads.add(key)
        return value

    def value(self, name: str) -> str:
        """A value already read (for masking it): not a template's way in, it has `lookup`."""
        return self._values[name]

    def get(self, name: object, default: Any = None) -> Any:
        """`env.get('ZCRM_VAR_X', 'fallback')`: the default when the variable is not set."""
        value = self.lookup(name)
        return default if value is None else value

    def __contains__(self, name: object) -> bool:
        return self._check(name) in self._values

    def _whole(self, what: str) -> NoReturn:
        raise EnvRefused(f"env cannot be {what}", _WHOLE)

    def items(self) -> NoReturn:
        self._whole("listed")

    def keys(self) -> NoReturn:
        self._whole("listed")

    def values(self) -> NoReturn:
        self._whole("listed")

    def __iter__(self) -> NoReturn:
        self._whole("listed")

    def __len__(self) -> NoReturn:
        self._whole("listed")

    def __str__(self) -> NoReturn:
        self._whole("printed")

    def __repr__(self) -> str:
        return "env"  # pprint and error texts: never the values


class VarsView(Mapping[str, Any]):
    """The manifest's rendered `vars`; reading one records the variables it came from.

    `taint` maps a top-level var to the ZCRM_VAR_* names its value was built from. A
    Mapping, not a dict: json.dumps and dict methods implemented in C would read a dict
    without calling `__getitem__`, and so without recording anything.
    """

    def __init__(self, values: Mapping[str, Any], taint: Mapping[str, frozenset[str]]) -> None:
        self._values = dict(values)
        self._taint = dict(taint)
        self.reads: set[str] = set()

    def __getitem__(self, key: str) -> Any:
        value = self._values[key]
        self.reads.update(self._taint.get(key, ()))
        return value

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return repr(dict(self))


def _json_default(value: object) -> Any:
    if isinstance(value, EnvView):
        raise EnvRefused("env cannot be serialised", _WHOLE)
    if isinstance(value, VarsView):
        return dict(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def dumps(value: Any, **kwargs: Any) -> str:
    """Jinja's `tojson`: refuses `env` by name instead of failing with a TypeError."""
    return json.dumps(value, default=_json_default, **kwargs)


def from_env_label(names: tuple[str, ...] | list[str]) -> str:
    """How a plan or a message shows a value built from the environment."""
    return f"(from env: {', '.join(names)})"


def mask_text(text: str, masks: Mapping[str, tuple[str, ...]]) -> str:
    """`text` with every value in `masks` replaced by its label: quoted (as repr shows it,
    also cut at 57 characters as messages cut it), then bare. Longest first, so a value
    inside another is not left half-masked."""
    for value in sorted(masks, key=len, reverse=True):
        if not value:
            continue
        label = from_env_label(masks[value])
        quoted = repr(value)
        text = text.replace(quoted, label).replace(quoted[:57] + "...", label)
        if len(value) >= _MIN_BARE:
            text = text.replace(value, label)
    return text
