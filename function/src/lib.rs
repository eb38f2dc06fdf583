//! Placeholder until the function issue: see README.
