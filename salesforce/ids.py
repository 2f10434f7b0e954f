"""Salesforce record ids come in two forms: 15 characters, case-sensitive (what the Salesforce UI
shows in a URL, and what people copy into the app), and 18 characters, case-safe (what the API
answers: the 15 plus a checksum of the capitals). Both name the same record, so a 15-character id
is converted to 18 with the checksum before ids are compared."""

from __future__ import annotations

import re

_CHECKSUM_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_ID = re.compile(r"^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$")


def is_salesforce_id(value: str) -> bool:
    """A 15- or 18-character Salesforce id (by its shape)."""
    return bool(_ID.match(value or ""))


def to_18(value: str) -> str:
    """The 18-character form of a 15-character id; any other value is returned as it is."""
    if len(value) != 15 or not value.isalnum():
        return value
    suffix = ""
    for start in (0, 5, 10):
        bits = sum(1 << i for i, char in enumerate(value[start : start + 5]) if "A" <= char <= "Z")
        suffix += _CHECKSUM_ALPHABET[bits]
    return value + suffix


def id_key(value: str) -> str:
    """What two ids are compared by: the 18-character form (a 15-character id gains its checksum,
    so it equals the 18-character id Salesforce answers with)."""
    return to_18((value or "").strip())


def id_forms(value: str) -> set[str]:
    """The forms a stored id may take: the 18-character id and its 15-character prefix."""
    key = id_key(value)
    return {key, key[:15]} if len(key) == 18 and key.isalnum() else {key}


def same_id(left: str, right: str) -> bool:
    return id_key(left) == id_key(right)
