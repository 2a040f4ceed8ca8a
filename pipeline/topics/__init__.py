"""The `topics` stage: emergent BERTopic topics, named by the codebook's themes."""
