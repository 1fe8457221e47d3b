//! The key-value trait under the checkpointer. An engine is an ordered byte
//! map split into a few tables, with atomic batches that become durable at
//! the next `sync`. Everything booking-specific lives above it in `Store`,
//! so both embedded engines run the same logic and pass the same tests.

use crate::store::StoreError;

/// The tables of the store. Keys are built by `store::keys`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Table {
    /// venue id → settings
    Venues,
    /// venue id → latest seq (u64 big-endian)
    VenueSeqs,
    /// venue id, booking id → booking
    Bookings,
    /// venue id, hold id → hold
    Holds,
    /// venue id, seq → event (the replay log)
    Events,
    /// user id, booking id → venue id
    UserBookings,
    /// space, key → value: users, refresh tokens, idempotency records
    Aux,
    /// booking or hold id → venue id (ids are globally unique)
    RecordVenues,
    /// user id, venue id → () for every venue that listed the user as staff
    /// (a hint: current rights are always checked against the venue)
    StaffOf,
    /// venue id, start, booking id → (): day sheets by time, not by history
    /// (a moved booking leaves a stale entry, checked against the booking)
    Starts,
    /// venue id, entry id → waitlist entry
    Waitlist,
    /// user id, entry id → venue id: a customer's waitlist entries
    UserWaitlist,
    /// user id, booking id → venue id: bookings the user was invited to
    UserInvitations,
}

impl Table {
    /// Every table, for engines that create them up front.
    pub const ALL: [Table; 13] = [
        Table::Venues,
        Table::VenueSeqs,
        Table::Bookings,
        Table::Holds,
        Table::Events,
        Table::UserBookings,
        Table::Aux,
        Table::RecordVenues,
        Table::StaffOf,
        Table::Starts,
        Table::Waitlist,
        Table::UserWaitlist,
        Table::UserInvitations,
    ];

    /// A stable name (redb table names).
    pub fn name(self) -> &'static str {
        match self {
            Table::Venues => "venues",
            Table::VenueSeqs => "venue_seqs",
            Table::Bookings => "bookings",
            Table::Holds => "holds",
            Table::Events => "events",
            Table::UserBookings => "user_bookings",
            Table::Aux => "aux",
            Table::RecordVenues => "record_venues",
            Table::StaffOf => "staff_of",
            Table::Starts => "starts",
            Table::Waitlist => "waitlist",
            Table::UserWaitlist => "user_waitlist",
            Table::UserInvitations => "user_invitations",
        }
    }

    /// A stable one-byte tag (sled key prefix). Never reuse a number.
    pub fn tag(self) -> u8 {
        match self {
            Table::Venues => 1,
            Table::VenueSeqs => 2,
            Table::Bookings => 3,
            Table::Holds => 4,
            Table::Events => 5,
            Table::UserBookings => 6,
            Table::Aux => 7,
            Table::RecordVenues => 8,
            Table::StaffOf => 9,
            Table::Starts => 10,
            Table::Waitlist => 11,
            Table::UserWaitlist => 12,
            Table::UserInvitations => 13,
        }
    }
}

/// One write of a batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    Put {
        table: Table,
        key: Vec<u8>,
        value: Vec<u8>,
    },
    Delete {
        table: Table,
        key: Vec<u8>,
    },
}

/// A consistent read view: every scan sees the same committed state.
pub trait KvRead: Send {
    /// Visits the keys in `[from, to)` in order until `visit` returns false.
    fn scan(
        &self,
        table: Table,
        from: &[u8],
        to: &[u8],
        visit: &mut dyn FnMut(&[u8], &[u8]) -> bool,
    ) -> Result<(), StoreError>;
}

/// An ordered, transactional byte map; its scans (`KvRead`) see the live
/// state, each scan a committed one.
pub trait KvEngine: KvRead + Sync + 'static {
    /// Applies every op atomically. Visible to reads at once; durable only
    /// after the next [`KvEngine::sync`] (the log holds them until then).
    fn apply(&self, ops: &[Op]) -> Result<(), StoreError>;

    /// Makes every applied batch durable: a checkpoint (redb: a commit
    /// with immediate durability, fsynced; sled: a flush, see the README).
    fn sync(&self) -> Result<(), StoreError>;

    /// One value.
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;

    /// A read view of one committed state that writers do not wait for
    /// (redb: a read transaction), or `None` when the engine has none
    /// (sled), in which case a consistent read must hold the writer.
    fn snapshot(&self) -> Result<Option<Box<dyn KvRead>>, StoreError>;

    /// The engine's name, for logs and `/ready`.
    fn name(&self) -> &'static str;
}
