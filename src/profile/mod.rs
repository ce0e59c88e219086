//! Pure summaries: raw samples in, figures out. No OS access here.
