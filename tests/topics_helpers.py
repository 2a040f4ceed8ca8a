"""Few-row inputs for the topics tests: a small codebook, statements, and a cheap encoder.

The hashing encoder is a real (bag-of-words) embedding, deterministic and fast,
so the unit tests exercise the stage's logic without loading a neural model;
the real model is used by the tests marked `slow`.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from pipeline.codebook import parse_codebook
from pipeline.topics.params import RepresentationParams, TopicsParams

CODEBOOK = {
    "name": "mini",
    "themes": [
        {"id": "financing", "name": "Financing", "description": "credit loans banks interest funding",
         "seeds": ["bank credit", "loans and interest", "funding for cooperatives"],
         "examples": ["banks refuse credit to cooperatives", "interest on loans is too high"]},
        {"id": "legislation", "name": "Legislation", "description": "law legal framework legislators reform",
         "seeds": ["framework law", "legal reform", "legislators vote the law"],
         "examples": ["the law must be reformed", "legislators should change the legal framework"]},
        {"id": "environment", "name": "Environment", "description": "climate environment pollution ecology",
         "seeds": ["climate change", "pollution of rivers", "ecology and environment"],
         "examples": ["pollution harms the environment", "the climate is changing fast"]},
        {"id": "procedural", "name": "Procedural", "description": "thanks greetings welcome good morning",
         "procedural": True,
         "seeds": ["thank you", "good morning", "welcome everyone"],
         "examples": ["thank you for the invitation", "good morning and welcome"]},
    ],
}

_TEMPLATES = {
    "financing": ["banks refuse credit and loans", "interest on bank loans", "funding and credit for cooperatives",
                  "loans from banks with interest", "credit unions give loans"],
    "legislation": ["the law needs legal reform", "legislators change the framework law", "a legal framework law",
                    "reform of the law by legislators", "the legal reform of the law"],
    "environment": ["climate change and pollution", "pollution of the environment", "ecology climate environment",
                    "the environment and the climate", "pollution harms ecology"],
    "procedural": ["thank you and good morning", "good morning welcome everyone", "thank you very much",
                   "welcome and thank you", "good morning to all"],
}


def mini_codebook():
    return parse_codebook(CODEBOOK, "mini codebook")


def hashing_encode(texts: list[str]) -> np.ndarray:
    """Bag of words hashed into 64 dimensions, unit rows."""
    from sklearn.feature_extraction.text import HashingVectorizer

    if not texts:
        return np.zeros((0, 64))
    vectors = HashingVectorizer(n_features=64, alternate_sign=False, norm="l2").transform(list(texts))
    return np.asarray(vectors.todense(), dtype=np.float64)


def statements(n: int) -> tuple[pd.DataFrame, list[str]]:
    """`n` statements cycling through the four themes; returns them and their intended themes."""
    themes = list(_TEMPLATES)
    texts, truth = [], []
    for i in range(n):
        theme = themes[i % len(themes)]
        variants = _TEMPLATES[theme]
        texts.append(f"{variants[(i // len(themes)) % len(variants)]} number {i}")
        truth.append(theme)
    df = pd.DataFrame({
        "statement_id": [f"r1:{i + 1:04d}" for i in range(n)],
        "report_id": "r1",
        "speaker": [f"Speaker {i % 3}" for i in range(n)],
        "role": "panelist",
        "section": "key_points",
        "text": texts,
    })
    return df, truth


def fast_params(**overrides) -> TopicsParams:
    """Params without the representation models that need a neural encoder."""
    params = TopicsParams(
        representation=RepresentationParams(keybert=False, mmr_diversity=0.0, pos_spacy_model=""),
    )
    return dataclasses.replace(params, **overrides)
