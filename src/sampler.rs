//! The background sampling thread (see the sampler issue).
