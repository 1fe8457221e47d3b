//! A venue's guests (API v1.1 §3): everyone who booked there, customers by
//! account and staff-entered guests by phone, with what the host wants to
//! know before they arrive: visits, no-shows, cancellations, the last
//! visit and what is still ahead.

use std::collections::{BTreeMap, HashMap};

use jiff::Timestamp;

use crate::domain::{Booking, BookingStatus, UserId};

/// One guest of a venue and their history there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GuestSummary {
    /// Opaque: `u.<user id>`, `p.<phone digits>`, or `b.<booking id>` for a
    /// guest with neither account nor phone (one guest per booking).
    pub id: String,
    pub user_id: Option<UserId>,
    /// As on their latest booking.
    pub name: Option<String>,
    pub phone: Option<String>,
    /// Completed bookings.
    pub visits: u32,
    pub no_shows: u32,
    pub cancellations: u32,
    /// The start of the latest completed booking.
    pub last_visit: Option<Timestamp>,
    /// Live (`pending`/`confirmed`) bookings that start after now.
    pub upcoming: u32,
    /// The latest booking's start, to keep the newest name and phone.
    latest: Timestamp,
}

/// Which guest a booking is for.
pub fn guest_id(b: &Booking) -> String {
    match (&b.user_id, &b.guest.phone) {
        (Some(user), _) => format!("u.{user}"),
        (None, Some(phone)) => format!("p.{}", phone.trim_start_matches('+')),
        (None, None) => format!("b.{}", b.id),
    }
}

/// What a venue keeps about its guests, always current: the outcomes of
/// their bookings and their latest name and phone. Finished bookings leave
/// the venue's memory; what they taught about their guest stays here, so
/// the guest list and the day sheet's histories never read the store.
/// One entry per distinct guest, not per booking.
#[derive(Clone, Debug, Default)]
pub struct GuestBook {
    guests: HashMap<String, GuestSummary>,
}

impl GuestBook {
    /// The book of a venue's whole stored history.
    pub fn from_history<'a>(bookings: impl IntoIterator<Item = &'a Booking>) -> Self {
        let mut book = Self::default();
        for b in bookings {
            book.observe(b);
        }
        book
    }

    /// Takes in a booking as it is after a change. A final status
    /// (completed, cancelled, no-show) has no way out, so each booking
    /// counts in one outcome once.
    pub fn observe(&mut self, b: &Booking) {
        let id = guest_id(b);
        let g = self
            .guests
            .entry(id.clone())
            .or_insert_with(|| GuestSummary {
                id,
                user_id: b.user_id.clone(),
                name: None,
                phone: None,
                visits: 0,
                no_shows: 0,
                cancellations: 0,
                last_visit: None,
                upcoming: 0,
                latest: Timestamp::MIN,
            });
        if b.start >= g.latest {
            g.latest = b.start;
            g.name = b.guest.name.clone().or(g.name.take());
            g.phone = b.guest.phone.clone().or(g.phone.take());
        }
        match b.status {
            BookingStatus::Completed => {
                g.visits += 1;
                g.last_visit = g.last_visit.max(Some(b.start));
            }
            BookingStatus::NoShow => g.no_shows += 1,
            BookingStatus::Cancelled => g.cancellations += 1,
            _ => {}
        }
    }

    /// Every guest, by id, with `upcoming` counted from the live bookings
    /// given (a venue's resident ones: live bookings never leave memory).
    pub fn summaries<'a>(
        &self,
        live: impl IntoIterator<Item = &'a Booking>,
        now: Timestamp,
    ) -> BTreeMap<String, GuestSummary> {
        let mut out: BTreeMap<String, GuestSummary> = self
            .guests
            .iter()
            .map(|(k, g)| {
                (
                    k.clone(),
                    GuestSummary {
                        upcoming: 0,
                        ..g.clone()
                    },
                )
            })
            .collect();
        for b in live {
            if matches!(b.status, BookingStatus::Pending | BookingStatus::Confirmed)
                && b.start > now
                && let Some(g) = out.get_mut(&guest_id(b))
            {
                g.upcoming += 1;
            }
        }
        out
    }
}

impl GuestSummary {
    /// Whether a search (lowercased) is in the name or the phone.
    pub fn matches(&self, q: &str) -> bool {
        let digits: String = q
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '+'))
            .collect();
        self.name
            .as_deref()
            .is_some_and(|n| n.to_lowercase().contains(q))
            || (!digits.is_empty() && self.phone.as_deref().is_some_and(|p| p.contains(&digits)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{BookingId, Channel, Guest, ResourceId, VenueId};

    fn booking(
        id: &str,
        user: Option<&str>,
        phone: Option<&str>,
        start: i64,
        status: BookingStatus,
    ) -> Booking {
        let at = Timestamp::from_second(start).unwrap();
        Booking {
            id: BookingId::from(id),
            venue_id: VenueId::from("v"),
            user_id: user.map(UserId::from),
            guest: Guest {
                name: Some(format!("name-{id}")),
                phone: phone.map(String::from),
            },
            channel: if user.is_some() {
                Channel::Online
            } else {
                Channel::Phone
            },
            created_by: UserId::from("staff"),
            resource_id: ResourceId::from("t1"),
            start: at,
            end: at,
            party_size: 2,
            status,
            note: None,
            service_id: None,
            invitees: Vec::new(),
            buffer_minutes: 0,
            reminder_at: None,
            version: 1,
            created_at: at,
            updated_at: at,
        }
    }

    #[test]
    fn guests_are_counted_by_account_then_phone_then_booking() {
        use BookingStatus as S;
        let now = Timestamp::from_second(1_000).unwrap();
        let all = [
            booking("a1", Some("ann"), None, 100, S::Completed),
            booking("a2", Some("ann"), None, 300, S::Completed),
            booking("a3", Some("ann"), None, 500, S::NoShow),
            booking("a4", Some("ann"), None, 2_000, S::Confirmed),
            booking("w1", None, Some("+8613800138000"), 200, S::Cancelled),
            booking("w2", None, Some("+8613800138000"), 400, S::Completed),
            booking("x1", None, None, 600, S::Completed),
            booking("x2", None, None, 700, S::Completed),
        ];
        let g = GuestBook::from_history(&all).summaries(&all, now);
        assert_eq!(g.len(), 4, "{:?}", g.keys());
        let ann = &g["u.ann"];
        assert_eq!((ann.visits, ann.no_shows, ann.upcoming), (2, 1, 1));
        assert_eq!(ann.last_visit, Timestamp::from_second(300).ok());
        assert_eq!(
            ann.name.as_deref(),
            Some("name-a4"),
            "the latest booking's name"
        );
        let wang = &g["p.8613800138000"];
        assert_eq!((wang.visits, wang.cancellations), (1, 1));
        assert!(wang.matches("13800"));
        assert!(wang.matches("name-w"));
        assert!(!wang.matches("zzz"));
        assert!(g.contains_key("b.x1") && g.contains_key("b.x2"));
    }
}
