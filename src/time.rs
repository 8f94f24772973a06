//! Time as the core sees it: unix seconds in, text out (and back). No clock here:
//! the shell passes `now` in.
//!
//! Formats: SigV4 `20130524T000000Z` (amz date), `20130524` (short date),
//! ISO 8601 `2013-05-24T00:00:00Z` (POST policy expiration, S3 XML LastModified),
//! and HTTP dates (`Fri, 24 May 2013 00:00:00 GMT`, plus the two obsolete forms on input).

/// Days since 1970-01-01 for a proleptic Gregorian date.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

/// (year, month, day) for days since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719468;
    let era = if z >= 0 { z } else { z - 146096 } / 146097;
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Broken-down UTC time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Utc {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
}

impl Utc {
    pub fn from_unix(t: u64) -> Utc {
        let days = (t / 86400) as i64;
        let rem = t % 86400;
        let (year, month, day) = civil_from_days(days);
        Utc { year, month, day, hour: (rem / 3600) as u32, minute: (rem % 3600 / 60) as u32, second: (rem % 60) as u32 }
    }
    pub fn to_unix(&self) -> Option<u64> {
        if !(1..=12).contains(&self.month) || self.day == 0 || self.day > 31 || self.hour > 23 || self.minute > 59 || self.second > 60 {
            return None;
        }
        let days = days_from_civil(self.year, self.month, self.day);
        // reject dates like Feb 31 (they would round-trip to another day)
        if civil_from_days(days) != (self.year, self.month, self.day) {
            return None;
        }
        let t = days * 86400 + self.hour as i64 * 3600 + self.minute as i64 * 60 + self.second.min(59) as i64;
        u64::try_from(t).ok()
    }
}

/// `20130524T000000Z`
pub fn amz_date(t: u64) -> String {
    let u = Utc::from_unix(t);
    format!("{:04}{:02}{:02}T{:02}{:02}{:02}Z", u.year, u.month, u.day, u.hour, u.minute, u.second)
}

/// `20130524`
pub fn short_date(t: u64) -> String {
    let u = Utc::from_unix(t);
    format!("{:04}{:02}{:02}", u.year, u.month, u.day)
}

/// `2013-05-24T00:00:00Z` (S3 XML uses `.000Z` milliseconds: see [`iso8601_millis`]).
pub fn iso8601(t: u64) -> String {
    let u = Utc::from_unix(t);
    format!("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", u.year, u.month, u.day, u.hour, u.minute, u.second)
}

/// `2013-05-24T00:00:00.000Z`, as S3 writes LastModified in XML.
pub fn iso8601_millis(t: u64) -> String {
    let u = Utc::from_unix(t);
    format!("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.000Z", u.year, u.month, u.day, u.hour, u.minute, u.second)
}

/// `2013-05-24T00:00:00.123Z` for unix milliseconds (RFC 3339, UTC): access log times.
pub fn rfc3339_millis(ms: u64) -> String {
    let u = Utc::from_unix(ms / 1000);
    format!("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", u.year, u.month, u.day, u.hour, u.minute, u.second, ms % 1000)
}

fn digits(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Parse `20130524T000000Z`.
pub fn parse_amz_date(s: &str) -> Option<u64> {
    if s.len() != 16 || !s.is_ascii() || &s[8..9] != "T" || &s[15..16] != "Z" {
        return None;
    }
    Utc {
        year: digits(&s[0..4])? as i64,
        month: digits(&s[4..6])?,
        day: digits(&s[6..8])?,
        hour: digits(&s[9..11])?,
        minute: digits(&s[11..13])?,
        second: digits(&s[13..15])?,
    }
    .to_unix()
}

/// Parse `2013-05-24T00:00:00Z` or with fractional seconds `...00.123Z`.
pub fn parse_iso8601(s: &str) -> Option<u64> {
    let s = s.strip_suffix('Z')?;
    if s.len() < 19 || !s.is_ascii() {
        return None;
    }
    let b = s.as_bytes();
    if b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    if s.len() > 19 && (b[19] != b'.' || !s[20..].bytes().all(|c| c.is_ascii_digit())) {
        return None;
    }
    Utc {
        year: digits(&s[0..4])? as i64,
        month: digits(&s[5..7])?,
        day: digits(&s[8..10])?,
        hour: digits(&s[11..13])?,
        minute: digits(&s[14..16])?,
        second: digits(&s[17..19])?,
    }
    .to_unix()
}

const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// IMF-fixdate: `Fri, 24 May 2013 00:00:00 GMT`.
pub fn http_date(t: u64) -> String {
    let u = Utc::from_unix(t);
    let wd = DAYS[((t / 86400) % 7) as usize];
    format!("{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT", wd, u.day, MONTHS[(u.month - 1) as usize], u.year, u.hour, u.minute, u.second)
}

fn month_of(s: &str) -> Option<u32> {
    MONTHS.iter().position(|m| m.eq_ignore_ascii_case(s)).map(|i| i as u32 + 1)
}

fn hms(s: &str) -> Option<(u32, u32, u32)> {
    let mut it = s.split(':');
    let h = digits(it.next()?)?;
    let m = digits(it.next()?)?;
    let sec = digits(it.next()?)?;
    if it.next().is_some() {
        return None;
    }
    Some((h, m, sec))
}

/// Parse an HTTP date in any of the three forms of RFC 9110 (IMF-fixdate, RFC 850, asctime).
pub fn parse_http_date(s: &str) -> Option<u64> {
    let s = s.trim();
    let parts: Vec<&str> = s.split_ascii_whitespace().collect();
    let (year, month, day, time) = match parts.as_slice() {
        // Sun, 06 Nov 1994 08:49:37 GMT
        [_wd, d, mon, y, t, "GMT"] => (digits(y)? as i64, month_of(mon)?, digits(d)?, *t),
        // Sunday, 06-Nov-94 08:49:37 GMT
        [_wd, dmy, t, "GMT"] => {
            let mut it = dmy.split('-');
            let d = digits(it.next()?)?;
            let mon = month_of(it.next()?)?;
            let y = digits(it.next()?)? as i64;
            let y = if y < 70 {
                2000 + y
            } else if y < 100 {
                1900 + y
            } else {
                y
            };
            (y, mon, d, *t)
        }
        // Sun Nov  6 08:49:37 1994
        [_wd, mon, d, t, y] => (digits(y)? as i64, month_of(mon)?, digits(d)?, *t),
        _ => return None,
    };
    let (hour, minute, second) = hms(time)?;
    Utc { year, month, day, hour, minute, second }.to_unix()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_instants() {
        // 2013-05-24T00:00:00Z, the S3 documentation's date
        assert_eq!(parse_amz_date("20130524T000000Z"), Some(1369353600));
        assert_eq!(amz_date(1369353600), "20130524T000000Z");
        assert_eq!(short_date(1369353600), "20130524");
        assert_eq!(rfc3339_millis(1_369_353_600_007), "2013-05-24T00:00:00.007Z");
        assert_eq!(rfc3339_millis(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(http_date(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), Some(784111777));
        assert_eq!(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), Some(784111777));
        assert_eq!(parse_http_date("Sun Nov  6 08:49:37 1994"), Some(784111777));
        assert_eq!(iso8601(1369353600), "2013-05-24T00:00:00Z");
        assert_eq!(parse_iso8601("2013-05-24T00:00:00.000Z"), Some(1369353600));
    }

    #[test]
    fn rejects_garbage() {
        for s in ["", "2013", "20130231T000000Z", "2013052XT000000Z", "20130524T250000Z", "20130524t000000Z"] {
            assert_eq!(parse_amz_date(s), None, "{s}");
        }
        assert_eq!(parse_http_date("yesterday"), None);
        assert_eq!(parse_iso8601("2013-05-24 00:00:00Z"), None);
    }

    #[test]
    fn round_trips_every_day_for_decades() {
        let mut t = 0u64;
        while t < 4_102_444_800 {
            assert_eq!(parse_amz_date(&amz_date(t)), Some(t));
            assert_eq!(parse_http_date(&http_date(t)), Some(t));
            t += 86_400 + 3_661;
        }
    }
}
