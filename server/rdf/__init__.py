"""RDF without a store: vocabularies, the formats we serve, serialisation, labels of terms."""
