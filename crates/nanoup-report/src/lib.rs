//! Renders nanoup results.
