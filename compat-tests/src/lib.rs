//! Side-by-side checks against the stock tools.
