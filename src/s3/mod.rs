//! S3 as clients speak it: which operation a request asks for ([`route`]), the errors S3
//! answers with ([`error`]), its XML documents ([`xml`]), listings ([`listing`]), the copy source
//! header ([`copy_source`]) and how a download is answered ([`download`]).

pub mod copy_source;
pub mod download;
pub mod error;
pub mod listing;
pub mod route;
pub mod xml;
