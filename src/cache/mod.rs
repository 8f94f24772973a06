//! The edge cache: cache keys, which answers may be stored and for how long, per-prefix rules
//! and their consistency modes ([`policy`]); how a `revalidate` hit is confirmed with the store
//! ([`revalidate`]).

pub mod policy;
pub mod revalidate;
