//! Identifier newtypes. Cheap to clone (`Arc<str>`) because every event and
//! every booking carries several of them through the hot path.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Arc<str>);

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
