//! The guard: which credential may make the store touch which key, with which client headers.
//!
//! Three parts, each the only way to its result:
//! - [`table`]: the operation table, one exhaustive `match` over [`S3Op`]: for each operation the
//!   method it needs on its key, every other key it names and what each needs, which client
//!   headers may reach the store, and what body it reads.
//! - [`grant`]: [`Grant`], an authorised key. Only [`grant::authorize`] (and its siblings) can
//!   make one, and the store request builder (`crate::store`) takes nothing else: a handler that
//!   forgets a check has no key to send.
//! - [`headers`]: [`StoreHeaders`], the client headers that may reach the store for one
//!   operation and principal, by allow-list. The store builder takes only these.
//!
//! - [`namespace`]: which bucket a request's bucket name stands for (configured, or made by the
//!   bucket namespace's rule for its admins), before any of the above.
//! - [`plan`]: the three above applied to one S3 request, before anything is sent: the shell's
//!   dispatcher runs it, and so do the property test and the fuzz target.
//!
//! `docs/security.md` is the threat model and lists each rule with the test that holds it.

pub mod check;
pub mod grant;
pub mod headers;
pub mod namespace;
pub mod plan;
pub mod table;

pub use grant::{Grant, GrantKind, Who};
pub use headers::{PrincipalClass, StoreHeaders};
pub use plan::{plan, S3Plan};
pub use table::{rule, Body, HeaderSet, Need, OtherKeys, Rule};
