//! Bookings, holds, and the booking status machine of API.md.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::domain::time::micros;
use crate::domain::{
    BookingId, Channel, DomainError, EntryId, Guest, HoldId, ResourceId, ServiceId, UserId, VenueId,
};

/// Where a booking is in its life. Capacity is taken by `Pending`,
/// `Confirmed` and `Seated`; the others give it back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BookingStatus {
    Pending,
    Confirmed,
    Seated,
    Completed,
    Cancelled,
    NoShow,
}

impl BookingStatus {
    /// Whether a booking in this status occupies capacity.
    pub fn takes_capacity(self) -> bool {
        matches!(self, Self::Pending | Self::Confirmed | Self::Seated)
    }

    /// The contract's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Confirmed => "confirmed",
            Self::Seated => "seated",
            Self::Completed => "completed",
            Self::Cancelled => "cancelled",
            Self::NoShow => "no_show",
        }
    }
}

/// What a customer's list of bookings asks for (`GET /bookings`): a status,
/// and a window on the start (`from` inclusive, `to` exclusive).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BookingFilter {
    pub status: Option<BookingStatus>,
    pub from: Option<jiff::Timestamp>,
    pub to: Option<jiff::Timestamp>,
}

impl BookingFilter {
    /// Whether a booking of this status and start is in the list (a
    /// user's index entry has both, so the booking itself need not be read).
    pub fn matches(&self, status: BookingStatus, start: jiff::Timestamp) -> bool {
        self.status.is_none_or(|s| status == s)
            && self.from.is_none_or(|f| start >= f)
            && self.to.is_none_or(|t| start < t)
    }
}

/// A requested status change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transition {
    Cancel,
    Confirm,
    Seat,
    Complete,
    NoShow,
}

impl Transition {
    /// The status this transition leads to from `from`, or a conflict.
    pub fn apply(self, from: BookingStatus) -> Result<BookingStatus, DomainError> {
        use BookingStatus as S;
        let to = match (self, from) {
            (Self::Cancel, S::Pending | S::Confirmed) => S::Cancelled,
            (Self::Confirm, S::Pending) => S::Confirmed,
            (Self::Seat, S::Confirmed) => S::Seated,
            (Self::Complete, S::Seated) => S::Completed,
            (Self::NoShow, S::Confirmed) => S::NoShow,
            _ => {
                return Err(DomainError::Conflict(format!(
                    "a {} booking cannot be {}",
                    from.as_str(),
                    self.past_tense()
                )));
            }
        };
        Ok(to)
    }

    /// Only cancelling is open to the booking's owner; the rest is staff work.
    pub fn owner_may(self) -> bool {
        self == Self::Cancel
    }

    fn past_tense(self) -> &'static str {
        match self {
            Self::Cancel => "cancelled",
            Self::Confirm => "confirmed",
            Self::Seat => "seated",
            Self::Complete => "completed",
            Self::NoShow => "marked no-show",
        }
    }
}

/// Where an invitation to a booking is (API v1.1 §6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InviteStatus {
    Invited,
    Accepted,
    Declined,
}

impl InviteStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Invited => "invited",
            Self::Accepted => "accepted",
            Self::Declined => "declined",
        }
    }
}

/// A friend invited to a booking.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invitee {
    pub user_id: UserId,
    pub name: Option<String>,
    pub status: InviteStatus,
}

/// How a caller sees a booking.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seen {
    /// Venue staff or admin.
    Manager,
    /// The booking's customer.
    Owner,
    /// A friend who accepted an invitation: no phone, only accepted
    /// guests' names (§12).
    Invitee,
}

/// A booking of one resource for one interval.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Booking {
    pub id: BookingId,
    pub venue_id: VenueId,
    /// The customer whose booking it is; none for a guest booked by staff.
    pub user_id: Option<UserId>,
    pub guest: Guest,
    pub channel: Channel,
    /// Who made it: the customer, or the staff member.
    pub created_by: UserId,
    pub resource_id: ResourceId,
    #[serde(with = "micros")]
    pub start: Timestamp,
    #[serde(with = "micros")]
    pub end: Timestamp,
    pub party_size: u32,
    pub status: BookingStatus,
    pub note: Option<String>,
    /// The service booked, at a venue that has services.
    pub service_id: Option<ServiceId>,
    /// Friends invited to it (API v1.1 §6).
    pub invitees: Vec<Invitee>,
    /// How long its exclusive resource stays taken after `end`, fixed when
    /// it was placed (API v1.1 §11: a later change does not move it).
    pub buffer_minutes: u32,
    /// When its `booking.reminder` is due; none once sent, or when none is
    /// planned (no reminders here, or made inside the reminder window).
    #[serde(with = "crate::domain::time::micros_opt")]
    pub reminder_at: Option<Timestamp>,
    /// Starts at 1 and grows with every change, for optimistic concurrency.
    pub version: u32,
    #[serde(with = "micros")]
    pub created_at: Timestamp,
    #[serde(with = "micros")]
    pub updated_at: Timestamp,
}

/// Where a hold is in its short life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HoldStatus {
    Active,
    Released,
    Expired,
    /// Turned into a booking, which now holds the capacity.
    Converted,
}

impl HoldStatus {
    /// The contract's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Released => "released",
            Self::Expired => "expired",
            Self::Converted => "converted",
        }
    }
}

/// A short-lived lock on capacity while a customer completes a booking.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hold {
    pub id: HoldId,
    pub venue_id: VenueId,
    pub user_id: UserId,
    pub resource_id: ResourceId,
    #[serde(with = "micros")]
    pub start: Timestamp,
    #[serde(with = "micros")]
    pub end: Timestamp,
    pub party_size: u32,
    /// The service held, at a venue that has services.
    pub service_id: Option<ServiceId>,
    /// As on a booking: the buffer fixed when it was placed.
    pub buffer_minutes: u32,
    /// The waitlist entry this hold was offered to, if it is an offer
    /// (API v1.1 §5): its events are the entry's, and it does not count
    /// towards the customer's holds.
    pub offer_for: Option<EntryId>,
    #[serde(with = "micros")]
    pub expires_at: Timestamp,
    pub status: HoldStatus,
    #[serde(with = "micros")]
    pub created_at: Timestamp,
}

impl Booking {
    /// Whether `user` accepted an invitation to this booking.
    pub fn has_guest(&self, user: &UserId) -> bool {
        self.invitees
            .iter()
            .any(|i| &i.user_id == user && i.status == InviteStatus::Accepted)
    }

    /// Invited and accepted friends: what the invitation limit counts.
    pub fn invited(&self) -> usize {
        self.invitees
            .iter()
            .filter(|i| i.status != InviteStatus::Declined)
            .count()
    }
}

impl Hold {
    /// Whether the hold still takes capacity at `now`.
    pub fn is_live(&self, now: Timestamp) -> bool {
        self.status == HoldStatus::Active && now < self.expires_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use BookingStatus as S;
    use Transition as T;

    #[test]
    fn the_status_machine_allows_exactly_the_contracts_arrows() {
        let all = [
            S::Pending,
            S::Confirmed,
            S::Seated,
            S::Completed,
            S::Cancelled,
            S::NoShow,
        ];
        let allowed = [
            (T::Cancel, S::Pending, S::Cancelled),
            (T::Cancel, S::Confirmed, S::Cancelled),
            (T::Confirm, S::Pending, S::Confirmed),
            (T::Seat, S::Confirmed, S::Seated),
            (T::Complete, S::Seated, S::Completed),
            (T::NoShow, S::Confirmed, S::NoShow),
        ];
        for t in [T::Cancel, T::Confirm, T::Seat, T::Complete, T::NoShow] {
            for from in all {
                let expected = allowed
                    .iter()
                    .find(|(tt, f, _)| *tt == t && *f == from)
                    .map(|a| a.2);
                match (t.apply(from), expected) {
                    (Ok(to), Some(e)) => assert_eq!(to, e),
                    (Err(DomainError::Conflict(_)), None) => {}
                    (got, want) => panic!("{t:?} from {from:?}: got {got:?}, want {want:?}"),
                }
            }
        }
    }
}
