//! Identifier newtypes. Cheap to clone (`Arc<str>`) because every event and
//! every booking carries several of them through the hot path.
//!
//! In JSON an id is its text. In the store's binary encoding (postcard, not
//! human-readable) an id the engine chose, a canonical UUID, takes 17 bytes
//! instead of 36: a marker byte that no UTF-8 text starts with, then the
//! UUID's 16 bytes. A booking carries four such ids and is stored twice
//! (its record and its event): under the spread load the store's pages
//! went from 1,970 to 1,525 bytes per booking. Any other id (a resource a client named) stays text, and
//! records written before this encoding read back unchanged: postcard
//! writes text and bytes alike, as a length and the bytes.

use std::fmt;
use std::sync::Arc;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Arc<str>);

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                compact::serialize(&self.0, serializer)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                compact::deserialize(deserializer).map(Self)
            }
        }

        impl $name {
            /// Wraps an already-chosen identifier.
            pub fn new(id: impl Into<Arc<str>>) -> Self {
                Self(id.into())
            }

            /// The identifier as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), &*self.0)
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> Self {
                Self::new(id)
            }
        }
    };
}

/// The binary encoding of an id (see the module's comment).
mod compact {
    use super::*;

    /// Starts a compacted UUID; never the first byte of UTF-8 text.
    const MARK: u8 = 0xFF;

    /// The 16 bytes of `id` if it is a UUID in canonical form (lowercase,
    /// hyphenated), the form it reads back as.
    fn uuid_bytes(id: &str) -> Option<[u8; 16]> {
        let uuid = uuid::Uuid::try_parse(id).ok()?;
        let mut text = [0u8; uuid::fmt::Hyphenated::LENGTH];
        (uuid.hyphenated().encode_lower(&mut text).as_bytes() == id.as_bytes())
            .then(|| *uuid.as_bytes())
    }

    pub fn serialize<S: Serializer>(id: &str, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            return serializer.serialize_str(id);
        }
        match uuid_bytes(id) {
            Some(bytes) => {
                let mut out = [MARK; 17];
                out[1..].copy_from_slice(&bytes);
                serializer.serialize_bytes(&out)
            }
            None => serializer.serialize_bytes(id.as_bytes()),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Arc<str>, D::Error> {
        if deserializer.is_human_readable() {
            deserializer.deserialize_str(IdVisitor)
        } else {
            deserializer.deserialize_bytes(IdVisitor)
        }
    }

    struct IdVisitor;

    impl Visitor<'_> for IdVisitor {
        type Value = Arc<str>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an identifier")
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<Arc<str>, E> {
            Ok(Arc::from(v))
        }

        fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Arc<str>, E> {
            if let [MARK, rest @ ..] = v {
                let bytes: [u8; 16] = rest
                    .try_into()
                    .map_err(|_| E::invalid_length(v.len(), &"17 bytes"))?;
                let mut text = [0u8; uuid::fmt::Hyphenated::LENGTH];
                let text = uuid::Uuid::from_bytes(bytes)
                    .hyphenated()
                    .encode_lower(&mut text);
                return Ok(Arc::from(&*text));
            }
            std::str::from_utf8(v)
                .map(Arc::from)
                .map_err(|_| E::invalid_value(de::Unexpected::Bytes(v), &self))
        }
    }
}

id_type!(
    /// A venue (restaurant or calendar); chosen by the engine.
    VenueId
);
id_type!(
    /// A booking; chosen by the engine, time-ordered.
    BookingId
);
id_type!(
    /// A hold (slot lock); chosen by the engine, time-ordered.
    HoldId
);
id_type!(
    /// A user account.
    UserId
);
id_type!(
    /// A resource of a venue (a table, a doctor), or a combination of
    /// tables booked together; chosen by the client.
    ResourceId
);
id_type!(
    /// A waitlist entry; chosen by the engine, time-ordered.
    EntryId
);
id_type!(
    /// A service a calendar offers (a consultation); chosen by the client.
    ServiceId
);

/// Who asks for a change. Staff rights are not carried here: the venue
/// decides them from its own current staff list, so a removal takes effect
/// on the very next command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    /// The authenticated user.
    pub user: UserId,
    /// Admins may do everything everywhere.
    pub admin: bool,
}

impl Caller {
    /// A caller without admin rights.
    pub fn user(user: impl Into<UserId>) -> Self {
        Self {
            user: user.into(),
            admin: false,
        }
    }

    /// A caller with admin rights.
    pub fn admin(user: impl Into<UserId>) -> Self {
        Self {
            user: user.into(),
            admin: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UUID: &str = "019ae5f2-7c1d-7b3a-9e21-5f0c6a4d8b17";

    /// What an id was written as before the compact encoding: its text.
    fn as_text(id: &str) -> Vec<u8> {
        postcard::to_stdvec(id).unwrap()
    }

    #[test]
    fn an_engine_id_takes_eighteen_bytes_and_reads_back_as_its_text() {
        let id = BookingId::new(UUID);
        let bytes = postcard::to_stdvec(&id).unwrap();
        assert_eq!(bytes.len(), 18, "length, marker, 16 bytes");
        assert_eq!(as_text(UUID).len(), 37);
        assert_eq!(postcard::from_bytes::<BookingId>(&bytes).unwrap(), id);
    }

    #[test]
    fn ids_written_as_text_before_still_read() {
        for text in [UUID, "table-12", "", "0123456789abcdef"] {
            let id: ResourceId = postcard::from_bytes(&as_text(text)).unwrap();
            assert_eq!(id.as_str(), text);
        }
    }

    #[test]
    fn other_ids_stay_text_and_keep_their_spelling() {
        let upper = UUID.to_uppercase();
        for text in [
            "t1",
            "table-12",
            upper.as_str(),
            "019ae5f27c1d7b3a9e215f0c6a4d8b17",
        ] {
            let bytes = postcard::to_stdvec(&ResourceId::new(text)).unwrap();
            assert_eq!(bytes, as_text(text), "{text}");
            assert_eq!(
                postcard::from_bytes::<ResourceId>(&bytes).unwrap().as_str(),
                text
            );
        }
    }

    #[test]
    fn json_is_unchanged() {
        let id = VenueId::new(UUID);
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{UUID}\""));
        assert_eq!(serde_json::from_str::<VenueId>(&json).unwrap(), id);
    }

    #[test]
    fn a_damaged_compact_id_is_an_error() {
        let mut bytes = postcard::to_stdvec(&UserId::new(UUID)).unwrap();
        bytes[0] = 10; // a marker with 9 bytes after it
        assert!(postcard::from_bytes::<UserId>(&bytes[..11]).is_err());
        assert!(
            postcard::from_bytes::<UserId>(&[2, 0xC3, 0x28]).is_err(),
            "not UTF-8"
        );
    }
}
