//! Bookings, holds, waitlist entries, invitations and availability.

use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::{
    Booking, EntryChange, Hold, InviteStatus, Seen, SlotAvailability, UserId, Zone,
};
use crate::http::dto::{local, utc};
use crate::http::views::{
    BookingStatusName, ChannelName, EntryStatusName, History, HoldStatusName, InviteStatusName,
};

/// The guest a booking is for. On a day sheet (staff) it also carries the
/// guest's id and history at the venue.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct GuestView {
    pub name: Option<String>,
    /// `null` for an invitee's view of someone else's booking.
    pub phone: Option<String>,
    /// Day sheet only: the guest's id at this venue.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Day sheet only: their visits, no-shows and cancellations here.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<History>,
}

/// A friend invited to a booking. An invitee's own view shows names and
/// statuses only.
#[derive(Debug, Serialize, ToSchema)]
pub struct InviteeView {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    pub name: Option<String>,
    #[schema(value_type = InviteStatusName)]
    pub status: &'static str,
}

/// A booking of one resource for one interval.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "bk_01", "venue_id": "demo", "user_id": "u_01", "resource_id": "t4",
    "start": "2026-12-24T19:00:00+08:00", "end": "2026-12-24T20:30:00+08:00",
    "party_size": 2, "status": "confirmed", "note": null, "service_id": null,
    "version": 1, "created_at": "2026-12-01T10:00:00.000000Z",
    "updated_at": "2026-12-01T10:00:00.000000Z",
    "guest": {"name": "Li Lei", "phone": "+8613800000000"},
    "channel": "online", "created_by": "u_01", "guests": []
}))]
pub struct BookingView {
    pub id: String,
    pub venue_id: String,
    /// `null` for a guest booked by staff without an account.
    pub user_id: Option<String>,
    pub resource_id: String,
    /// In the venue's zone.
    pub start: String,
    pub end: String,
    pub party_size: u32,
    #[schema(value_type = BookingStatusName)]
    pub status: &'static str,
    pub note: Option<String>,
    pub service_id: Option<String>,
    /// Grows with every change; send it back in `PATCH` to refuse a lost update.
    pub version: u32,
    pub created_at: String,
    pub updated_at: String,
    pub guest: GuestView,
    #[schema(value_type = ChannelName)]
    pub channel: &'static str,
    pub created_by: String,
    /// Friends invited to it.
    pub guests: Vec<InviteeView>,
}

impl BookingView {
    /// As its owner and the venue's staff see it.
    pub fn new(b: &Booking, zone: &Zone) -> Self {
        let guests = b
            .invitees
            .iter()
            .map(|i| InviteeView {
                user_id: Some(i.user_id.to_string()),
                name: i.name.clone(),
                status: i.status.as_str(),
            })
            .collect();
        BookingView {
            guests,
            ..Self::core(b, zone)
        }
    }

    /// As the caller sees it (API v1.1 §6, §12): an accepted invitee gets
    /// no phone and only the accepted guests' names.
    pub fn seen(b: &Booking, zone: &Zone, seen: Seen) -> Self {
        if seen != Seen::Invitee {
            return Self::new(b, zone);
        }
        let mut v = Self::core(b, zone);
        v.guest.phone = None;
        v.guests = b
            .invitees
            .iter()
            .filter(|i| i.status == InviteStatus::Accepted)
            .map(|i| InviteeView {
                user_id: None,
                name: i.name.clone(),
                status: i.status.as_str(),
            })
            .collect();
        v
    }

    fn core(b: &Booking, zone: &Zone) -> Self {
        BookingView {
            id: b.id.to_string(),
            venue_id: b.venue_id.to_string(),
            user_id: b.user_id.as_ref().map(ToString::to_string),
            resource_id: b.resource_id.to_string(),
            start: local(b.start, zone),
            end: local(b.end, zone),
            party_size: b.party_size,
            status: b.status.as_str(),
            note: b.note.clone(),
            service_id: b.service_id.as_ref().map(ToString::to_string),
            version: b.version,
            created_at: utc(b.created_at),
            updated_at: utc(b.updated_at),
            guest: GuestView {
                name: b.guest.name.clone(),
                phone: b.guest.phone.clone(),
                ..GuestView::default()
            },
            channel: b.channel.as_str(),
            created_by: b.created_by.to_string(),
            guests: Vec::new(),
        }
    }
}

/// An invitation to a booking. In `GET /me/invitations` it carries the
/// booking as the invitee sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationView {
    pub booking_id: String,
    pub user_id: String,
    pub name: Option<String>,
    #[schema(value_type = InviteStatusName)]
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub booking: Option<BookingView>,
}

impl InvitationView {
    pub fn new(b: &Booking, user: &UserId) -> Self {
        let i = b.invitees.iter().find(|i| &i.user_id == user);
        InvitationView {
            booking_id: b.id.to_string(),
            user_id: user.to_string(),
            name: i.and_then(|i| i.name.clone()),
            status: i.map_or("removed", |i| i.status.as_str()),
            booking: None,
        }
    }
}

/// A short-lived lock on capacity while a customer completes a booking.
#[derive(Debug, Serialize, ToSchema)]
pub struct HoldView {
    pub id: String,
    pub venue_id: String,
    pub start: String,
    pub end: String,
    pub party_size: u32,
    pub resource_id: String,
    pub expires_at: String,
    pub service_id: Option<String>,
    #[schema(value_type = HoldStatusName)]
    pub status: &'static str,
}

impl HoldView {
    pub fn new(h: &Hold, zone: &Zone) -> Self {
        HoldView {
            id: h.id.to_string(),
            venue_id: h.venue_id.to_string(),
            start: local(h.start, zone),
            end: local(h.end, zone),
            party_size: h.party_size,
            resource_id: h.resource_id.to_string(),
            expires_at: local(h.expires_at, zone),
            service_id: h.service_id.as_ref().map(ToString::to_string),
            status: h.status.as_str(),
        }
    }
}

/// The hold a waitlist entry was offered, until it expires.
#[derive(Debug, Serialize, ToSchema)]
pub struct OfferView {
    pub hold_id: String,
    pub start: String,
    pub resource_id: String,
    pub expires_at: String,
}

/// One party on a venue's waitlist, with its position then.
#[derive(Debug, Serialize, ToSchema)]
pub struct EntryView {
    pub id: String,
    pub venue_id: String,
    pub user_id: Option<String>,
    /// The local date, `YYYY-MM-DD`.
    pub date: String,
    pub party_size: u32,
    pub earliest: String,
    pub latest: String,
    pub service_id: Option<String>,
    pub note: Option<String>,
    #[schema(value_type = EntryStatusName)]
    pub status: &'static str,
    /// 1 for the first in line; `null` unless waiting.
    pub position: Option<u32>,
    pub offer: Option<OfferView>,
    pub guest: GuestView,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
}

impl EntryView {
    pub fn new(e: &EntryChange, zone: &Zone) -> Self {
        let w = &e.entry;
        EntryView {
            id: w.id.to_string(),
            venue_id: w.venue_id.to_string(),
            user_id: w.user_id.as_ref().map(ToString::to_string),
            date: w.date.to_string(),
            party_size: w.party_size,
            earliest: local(w.earliest, zone),
            latest: local(w.latest, zone),
            service_id: w.service_id.as_ref().map(ToString::to_string),
            note: w.note.clone(),
            status: w.status.as_str(),
            position: e.position,
            offer: w.offer.as_ref().map(|o| OfferView {
                hold_id: o.hold_id.to_string(),
                start: local(o.start, zone),
                resource_id: o.resource_id.to_string(),
                expires_at: local(o.expires_at, zone),
            }),
            guest: GuestView {
                name: w.guest.name.clone(),
                phone: w.guest.phone.clone(),
                ..GuestView::default()
            },
            created_by: w.created_by.to_string(),
            created_at: utc(w.created_at),
            updated_at: utc(w.updated_at),
        }
    }
}

/// One start of a day's availability.
#[derive(Debug, Serialize, ToSchema)]
pub struct SlotView {
    pub start: String,
    /// The largest party still bookable here; 0 when full, past or inside the notice.
    pub max_party: u32,
    /// Whether the asked party size can be booked here.
    pub available: bool,
}

impl SlotView {
    pub fn new(s: &SlotAvailability, zone: &Zone) -> Self {
        SlotView {
            start: local(s.start, zone),
            max_party: s.max_party,
            available: s.available,
        }
    }
}

/// A day's availability for a party size.
#[derive(Debug, Serialize, ToSchema)]
pub struct AvailabilityView {
    pub venue_id: String,
    pub date: String,
    pub timezone: String,
    pub party_size: u32,
    /// The venue's seq when it was computed: live updates follow from here.
    pub seq: u64,
    pub service_id: Option<String>,
    pub slots: Vec<SlotView>,
}
