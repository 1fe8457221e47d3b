//! What a logged batch changes in the engine's tables: per event, the event
//! itself (the replay log), the record it carries, the indexes, and the
//! event that falls out of the kept window; per venue, its last seq; per
//! auxiliary op, the op. Puts and deletes of whole values only, so applying a batch
//! twice (a replay after a crash) changes nothing.

use serde::{Deserialize, Serialize};

use crate::domain::{BookingStatus, Change, Event, VenueId};
use crate::store::{AuxOp, Op, Table, aux_key, encode, keys};

/// A user's list entry: where the booking is and what its filters test,
/// so a filter that matches little reads little.
#[derive(Debug, Serialize, Deserialize)]
pub struct UserEntry {
    pub venue: VenueId,
    pub status: BookingStatus,
    pub start: i64,
}

/// A venue's seq as of a round of events: one write per venue per round.
pub fn seq_op(venue: &crate::domain::VenueId, seq: u64) -> Op {
    Op::Put {
        table: Table::VenueSeqs,
        key: keys::top(venue.as_str()),
        value: keys::seq_value(seq),
    }
}

/// The engine writes of one event (but its venue's seq, see [`seq_op`]),
/// given how many events a venue keeps.
pub fn event_ops(event: &Event, keep_events: u64, ops: &mut Vec<Op>) {
    let venue = &event.venue_id;
    ops.push(Op::Put {
        table: Table::Events,
        key: keys::event(venue, event.seq),
        value: encode(event),
    });
    record_ops(event, ops);
    index_ops(event, ops);
    // One delete per event appended: the log costs O(1) per change.
    if event.seq > keep_events {
        ops.push(Op::Delete {
            table: Table::Events,
            key: keys::event(venue, event.seq - keep_events),
        });
    }
}

/// The engine write of an auxiliary op.
pub fn aux_op(aux: &AuxOp) -> Op {
    match aux {
        AuxOp::Put { space, key, value } | AuxOp::Claim { space, key, value } => Op::Put {
            table: Table::Aux,
            key: aux_key(*space, key),
            value: value.clone(),
        },
        AuxOp::Delete { space, key } => Op::Delete {
            table: Table::Aux,
            key: aux_key(*space, key),
        },
    }
}

/// The index writes an event implies: for every booking change, the
/// owner's list entry (with the status and start its filters need) and the
/// venue's by-start entry (a moved booking leaves its old one behind, which
/// readers skip); on creation, where a booking or hold lives; on a venue
/// change, its staff.
fn index_ops(event: &Event, ops: &mut Vec<Op>) {
    let venue = keys::top(event.venue_id.as_str());
    if let Some(b) = event.change.booking() {
        // A guest booked by staff is on no customer's list.
        if let Some(owner) = &b.user_id {
            ops.push(Op::Put {
                table: Table::UserBookings,
                key: keys::child(owner.as_str(), b.id.as_str()),
                value: encode(&UserEntry {
                    venue: event.venue_id.clone(),
                    status: b.status,
                    start: b.start.as_microsecond(),
                }),
            });
        }
        ops.push(Op::Put {
            table: Table::Starts,
            key: keys::start(&event.venue_id, b.start, &b.id),
            value: Vec::new(),
        });
    }
    if let Change::BookingInvited(b) = &event.change {
        for i in &b.invitees {
            ops.push(Op::Put {
                table: Table::UserInvitations,
                key: keys::child(i.user_id.as_str(), b.id.as_str()),
                value: venue.clone(),
            });
        }
    }
    match &event.change {
        Change::BookingCreated(b) => {
            ops.push(Op::Put {
                table: Table::RecordVenues,
                key: keys::top(b.id.as_str()),
                value: venue,
            });
        }
        Change::HoldCreated(h) => ops.push(Op::Put {
            table: Table::RecordVenues,
            key: keys::top(h.id.as_str()),
            value: venue,
        }),
        Change::WaitlistJoined(e) => {
            let entry = &e.entry;
            ops.push(Op::Put {
                table: Table::RecordVenues,
                key: keys::top(entry.id.as_str()),
                value: venue.clone(),
            });
            if let Some(user) = &entry.user_id {
                ops.push(Op::Put {
                    table: Table::UserWaitlist,
                    key: keys::child(user.as_str(), entry.id.as_str()),
                    value: venue,
                });
            }
        }
        // An offer's hold is found by id like any other.
        Change::WaitlistOffered(e) => {
            if let Some(h) = &e.hold {
                ops.push(Op::Put {
                    table: Table::RecordVenues,
                    key: keys::top(h.id.as_str()),
                    value: venue,
                });
            }
        }
        Change::VenueUpdated(s) => {
            for user in &s.staff {
                ops.push(Op::Put {
                    table: Table::StaffOf,
                    key: keys::child(user.as_str(), event.venue_id.as_str()),
                    value: Vec::new(),
                });
            }
        }
        _ => {}
    }
}

/// The record writes an event implies: the record it carries, and for a
/// waitlist change also the offer's hold it carries.
fn record_ops(event: &Event, ops: &mut Vec<Op>) {
    let venue = event.venue_id.as_str();
    if let Some(e) = event.change.entry() {
        ops.push(Op::Put {
            table: Table::Waitlist,
            key: keys::child(venue, e.entry.id.as_str()),
            value: encode(&e.entry),
        });
        if let Some(h) = &e.hold {
            ops.push(Op::Put {
                table: Table::Holds,
                key: keys::child(venue, h.id.as_str()),
                value: encode(h),
            });
        }
        return;
    }
    ops.push(record_op(event));
}

/// The record write of a booking, hold or venue event.
fn record_op(event: &Event) -> Op {
    let venue = event.venue_id.as_str();
    match &event.change {
        Change::BookingCreated(b)
        | Change::BookingInvited(b)
        | Change::BookingUpdated(b)
        | Change::BookingCancelled(b)
        | Change::BookingReminded(b) => Op::Put {
            table: Table::Bookings,
            key: keys::child(venue, b.id.as_str()),
            value: encode(b),
        },
        Change::HoldCreated(h) | Change::HoldReleased(h) | Change::HoldExpired(h) => Op::Put {
            table: Table::Holds,
            key: keys::child(venue, h.id.as_str()),
            value: encode(h),
        },
        Change::VenueUpdated(s) => Op::Put {
            table: Table::Venues,
            key: keys::top(venue),
            value: encode(s),
        },
        // Written by `record_ops` (entry and hold).
        Change::WaitlistJoined(_)
        | Change::WaitlistOffered(_)
        | Change::WaitlistBooked(_)
        | Change::WaitlistMissed(_)
        | Change::WaitlistLeft(_) => unreachable!("waitlist changes are written by record_ops"),
    }
}
