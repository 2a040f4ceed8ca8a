"""GUIDs: the fast uuid5 is `str(uuid.uuid5(...))` exactly, so exports keep their GUIDs."""

from __future__ import annotations

import random
import uuid

from pipeline.qda.ids import _NAMESPACE, SEP, guid, key_guid, selection_guid


def test_guid_is_uuid5_of_the_joined_key() -> None:
    rng = random.Random(7)
    keys = [("theme", "financing"), ("",), ("selection", "r1", "0a1b2c", 12), ("speaker", "Zoë Ó Briain ☃ \U0001F600")]
    keys += [tuple("".join(chr(rng.randint(1, 0x2FFF)) for _ in range(rng.randint(0, 12))) for _ in range(rng.randint(1, 4)))
             for _ in range(2000)]
    for key in keys:
        expected = str(uuid.uuid5(_NAMESPACE, SEP.join(str(p) for p in key)))
        assert guid(*key) == expected == key_guid(SEP.join(str(p) for p in key))
        assert uuid.UUID(expected).version == 5
    assert selection_guid("r1", "0a1b2c", 12) == str(uuid.uuid5(_NAMESPACE, "selection\x1fr1\x1f0a1b2c\x1f12"))
