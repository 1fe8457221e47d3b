//! Waitlist entries (API v1.1 §5): a party waiting for a window of starts on
//! one local date, offered freed capacity first come, first served. The
//! rules that move them live in `venue::waitlist`.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::domain::time::micros;
use crate::domain::{EntryId, Guest, Hold, HoldId, ResourceId, ServiceId, UserId, VenueId};

/// Where an entry is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryStatus {
    Waiting,
    Offered,
    Booked,
    /// The offer lapsed or was declined, or the window passed.
    Missed,
    Left,
}

impl EntryStatus {
    /// Waiting or offered: it counts towards the customer's limit.
    pub fn is_live(self) -> bool {
        matches!(self, Self::Waiting | Self::Offered)
    }

    /// The contract's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Waiting => "waiting",
            Self::Offered => "offered",
            Self::Booked => "booked",
            Self::Missed => "missed",
            Self::Left => "left",
        }
    }
}

/// The hold an entry was offered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offer {
    pub hold_id: HoldId,
    #[serde(with = "micros")]
    pub start: Timestamp,
    pub resource_id: ResourceId,
    #[serde(with = "micros")]
    pub expires_at: Timestamp,
}

/// One party on a venue's waitlist.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitlistEntry {
    pub id: EntryId,
    pub venue_id: VenueId,
    /// The customer; none for a guest staff put on the list.
    pub user_id: Option<UserId>,
    pub guest: Guest,
    pub created_by: UserId,
    pub date: Date,
    pub party_size: u32,
    /// The window of acceptable starts, both ends included.
    #[serde(with = "micros")]
    pub earliest: Timestamp,
    #[serde(with = "micros")]
    pub latest: Timestamp,
    pub service_id: Option<ServiceId>,
    pub note: Option<String>,
    pub status: EntryStatus,
    pub offer: Option<Offer>,
    /// First come, first served: the venue's seq when it joined.
    pub number: u64,
    #[serde(with = "micros")]
    pub created_at: Timestamp,
    #[serde(with = "micros")]
    pub updated_at: Timestamp,
}

impl WaitlistEntry {
    /// The id of the hold an offer to this entry places: one offer per
    /// entry, and entry ids are unique, so this one is too.
    pub fn offer_hold_id(&self) -> HoldId {
        HoldId::from(format!("offer-{}", self.id).as_str())
    }
}

/// A waitlist change as it is stored and pushed: the entry after it, its
/// position then (waiting entries only), and the offer's hold when the
/// change placed, booked, released or expired it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryChange {
    pub entry: WaitlistEntry,
    pub position: Option<u32>,
    pub hold: Option<Hold>,
}
