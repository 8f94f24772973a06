//! The edge cache: cache keys, which answers may be stored and for how long, per-prefix rules
//! ([`policy`]).

pub mod policy;
