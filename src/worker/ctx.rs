//! What every handler of one request shares: the configuration, the keys, the time, the client.

use crate::auth::{Keys, Principal};
use crate::config::Config;
use crate::guard::Who;
use std::rc::Rc;
use worker::Context;

/// Per-request context the handlers share.
pub struct Ctx {
    pub cfg: Rc<Config>,
    pub keys: Rc<Keys>,
    pub now: u64,
    pub client_ip: Option<String>,
    /// `scheme://host[:port]` of the request's URL as the runtime parsed it (never a client
    /// header such as `X-Forwarded-Proto`): the base of links the gateway returns.
    pub origin: String,
    pub wait: Context,
    /// What the access log line will say (`super::access`): handlers add the principal.
    pub log: super::access::Facts,
}

impl Ctx {
    /// The principal with what the authorisation checks need besides it.
    pub fn who<'a>(&'a self, principal: &'a Principal) -> Who<'a> {
        Who { principal, revoked: &self.keys.revoked, client_ip: self.client_ip.as_deref(), now: self.now }
    }

    /// The verified principal, for the access log (its kind and public id only).
    pub fn log_principal(&self, principal: &Principal) {
        self.log.borrow_mut().principal(principal);
    }
}
