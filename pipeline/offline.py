"""No network at run time, whatever the environment says.

The Hugging Face libraries read their offline switches once, when they are
first imported (`huggingface_hub.constants.HF_HUB_OFFLINE`). Setting the
variables later, next to a model load, is too late when another import got
there first: a stage would then ask the model hub for files (and retry with
back-off for a minute) before falling back to the local copy. So the switch is
thrown when the `pipeline` package is imported, before any of those libraries,
and, should one already be loaded, on its constants too.
"""

from __future__ import annotations

import os
import sys

OFFLINE_VARIABLES = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
}


def force_offline() -> None:
    """Set the hub's offline switches in the environment and in any hub module already imported."""
    os.environ.update(OFFLINE_VARIABLES)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    constants = sys.modules.get("huggingface_hub.constants")
    if constants is not None:
        constants.HF_HUB_OFFLINE = True
        if hasattr(constants, "HF_HUB_DISABLE_TELEMETRY"):
            constants.HF_HUB_DISABLE_TELEMETRY = True
