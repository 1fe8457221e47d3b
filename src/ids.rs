//! Fresh ids. In a module of its own so that accounts, the load tool and
//! HTTP get ids without importing the actors.

/// A fresh time-ordered id (UUIDv7): ids sort by creation, which is the
/// order of venue listings and of a user's bookings.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
