//! Configuration (filled in by the foundation work).
