//! Time helpers shared by the domain. Instants are `jiff::Timestamp`; the
//! store keeps them as whole microseconds (`micros`) because recovery decodes
//! millions of them and integers are far cheaper to decode than RFC 3339.

use jiff::{SignedDuration, Timestamp};

/// A whole number of minutes as a duration.
pub fn minutes(n: u32) -> SignedDuration {
    SignedDuration::from_mins(i64::from(n))
}

/// `ts + minutes`, saturating at the end of representable time.
pub fn add_minutes(ts: Timestamp, n: u32) -> Timestamp {
    ts.saturating_add(minutes(n)).unwrap_or(Timestamp::MAX)
}

/// `ts` truncated to whole microseconds, the precision records are stored
/// at: a venue rebuilt from the store then equals the one that wrote it.
pub fn stored_precision(ts: Timestamp) -> Timestamp {
    Timestamp::from_microsecond(ts.as_microsecond()).unwrap_or(ts)
}

/// Serde adapter: a `Timestamp` as integer microseconds since the epoch.
pub mod micros {
    use jiff::Timestamp;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    /// Writes the instant as microseconds.
    pub fn serialize<S: Serializer>(ts: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(ts.as_microsecond())
    }

    /// Reads microseconds back into an instant.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
        let us = i64::deserialize(d)?;
        Timestamp::from_microsecond(us).map_err(D::Error::custom)
    }
}

/// Serde adapter: an optional `Timestamp` as optional microseconds.
pub mod micros_opt {
    use jiff::Timestamp;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    /// Writes the instant, if any, as microseconds.
    pub fn serialize<S: Serializer>(ts: &Option<Timestamp>, s: S) -> Result<S::Ok, S::Error> {
        match ts {
            Some(ts) => s.serialize_some(&ts.as_microsecond()),
            None => s.serialize_none(),
        }
    }

    /// Reads optional microseconds back into an instant.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Timestamp>, D::Error> {
        Option::<i64>::deserialize(d)?
            .map(|us| Timestamp::from_microsecond(us).map_err(D::Error::custom))
            .transpose()
    }
}
