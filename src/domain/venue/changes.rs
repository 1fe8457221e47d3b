//! Changing a venue's settings and staff. A change that would leave a live
//! booking or hold without room (resource gone or too small, start off the
//! new grid, capacity now overbooked) is refused and names them.

use jiff::Timestamp;

use super::Venue;
use super::layout::{Ask, ClaimRef, Layout, Span};
use crate::domain::commands::Reply;
use crate::domain::ledger::ClaimKey;
use crate::domain::time::add_minutes;
use crate::domain::{
    BookingId, Caller, Change, DomainError, Event, HoldId, ResourceId, UserId, VenuePatch,
    VenueSettings,
};

/// One live claim to carry over to new settings.
struct Carry<'a> {
    resource: &'a ResourceId,
    start: Timestamp,
    end: Timestamp,
    party: u32,
    buffer: u32,
    until: Option<Timestamp>,
}

impl Venue {
    pub(super) fn update(
        &mut self,
        caller: &Caller,
        patch: VenuePatch,
        now: Timestamp,
        events: &mut Vec<Event>,
    ) -> Result<Reply, DomainError> {
        if !self.manages(caller) {
            return Err(DomainError::Forbidden(
                "only venue staff or an admin may change the venue",
            ));
        }
        // Staff lists change through the admin-only staff commands; a PATCH
        // naming `staff` from venue staff would let them appoint anyone.
        if patch.staff.is_some() && !caller.admin {
            return Err(DomainError::Forbidden(
                "only an admin may change a venue's staff",
            ));
        }
        let settings = self.settings.patched(patch);
        settings.validate()?;
        self.replace_settings(settings, now, events)
    }

    pub(super) fn set_staff(
        &mut self,
        caller: &Caller,
        user: UserId,
        member: bool,
        now: Timestamp,
        events: &mut Vec<Event>,
    ) -> Result<Reply, DomainError> {
        if !caller.admin {
            return Err(DomainError::Forbidden(
                "only an admin may change a venue's staff",
            ));
        }
        if self.settings.is_staff(&user) == member {
            return Ok(Reply::Venue(Box::new(self.settings.clone())));
        }
        let mut settings = self.settings.clone();
        if member {
            settings.staff.insert(user);
        } else {
            settings.staff.remove(&user);
        }
        self.settings = settings.clone();
        events.push(self.emit(now, Change::VenueUpdated(Box::new(settings.clone()))));
        Ok(Reply::Venue(Box::new(settings)))
    }

    /// Re-places every live claim under `settings`; swaps them in only if
    /// every claim that has not ended yet still fits.
    fn replace_settings(
        &mut self,
        settings: VenueSettings,
        now: Timestamp,
        events: &mut Vec<Event>,
    ) -> Result<Reply, DomainError> {
        let mut layout = Layout::new(&settings);
        let mut next = self.next_claim;
        let (mut bookings, mut holds) = (Vec::new(), Vec::new());
        let (mut stranded_b, mut stranded_h) = (Vec::<BookingId>::new(), Vec::<HoldId>::new());

        let mut live_b: Vec<_> = self
            .bookings
            .values()
            .filter(|e| e.claim.is_some())
            .map(|e| &e.record)
            .collect();
        live_b.sort_by(|a, b| (a.start, &a.id).cmp(&(b.start, &b.id)));
        for b in live_b {
            let carry = Carry {
                resource: &b.resource_id,
                start: b.start,
                end: b.end,
                party: b.party_size,
                buffer: b.buffer_minutes,
                until: None,
            };
            match place(&settings, &mut layout, &mut next, carry, now) {
                Ok(claim) => bookings.push((b.id.clone(), claim)),
                Err(()) => stranded_b.push(b.id.clone()),
            }
        }
        let mut live_h: Vec<_> = self
            .holds
            .values()
            .filter(|e| e.claim.is_some())
            .map(|e| &e.record)
            .collect();
        live_h.sort_by(|a, b| (a.start, &a.id).cmp(&(b.start, &b.id)));
        for h in live_h {
            let carry = Carry {
                resource: &h.resource_id,
                start: h.start,
                end: h.end,
                party: h.party_size,
                buffer: h.buffer_minutes,
                until: Some(h.expires_at),
            };
            match place(&settings, &mut layout, &mut next, carry, now) {
                Ok(claim) => holds.push((h.id.clone(), claim)),
                Err(()) => stranded_h.push(h.id.clone()),
            }
        }
        if !stranded_b.is_empty() || !stranded_h.is_empty() {
            return Err(DomainError::Strands {
                bookings: stranded_b,
                holds: stranded_h,
            });
        }
        for (id, claim) in bookings {
            if let Some(e) = self.bookings.get_mut(&id) {
                e.claim = claim;
            }
        }
        for (id, claim) in holds {
            if let Some(e) = self.holds.get_mut(&id) {
                e.claim = claim;
            }
        }
        self.layout = layout;
        self.next_claim = next;
        self.settings = settings.clone();
        events.push(self.emit(now, Change::VenueUpdated(Box::new(settings.clone()))));
        Ok(Reply::Venue(Box::new(settings)))
    }
}

/// Places one carried claim; `Err` when it no longer fits. A claim that has
/// already ended keeps its record but needs no room (and its resource may
/// go). It keeps its own length and buffer, and is not re-checked against
/// services or pacing: settings changes apply to new placements only (API
/// v1.1 §12).
fn place(
    settings: &VenueSettings,
    layout: &mut Layout,
    next: &mut ClaimKey,
    c: Carry<'_>,
    now: Timestamp,
) -> Result<Option<ClaimRef>, ()> {
    if c.end <= now {
        return Ok(None);
    }
    let place = layout.place_of(c.resource).ok_or(())?;
    let minutes = u32::try_from((c.end.as_second() - c.start.as_second()) / 60).map_err(|_| ())?;
    let buffered_end = add_minutes(c.end, c.buffer).as_second();
    let ask = Ask {
        start: c.start.as_second(),
        end: c.end.as_second(),
        exclusive_end: Some(buffered_end),
        party: c.party,
        service: None,
        now: now.as_second(),
    };
    if settings.locate(c.start, minutes).is_err() || !layout.fits(place, &ask) {
        return Err(());
    }
    *next += 1;
    let span = Span {
        start: ask.start,
        end: ask.end,
        buffered_end,
        party: c.party,
        until: c.until.map_or(i64::MAX, |t| t.as_second()),
    };
    layout.insert(place, *next, span);
    Ok(Some(ClaimRef { place, key: *next }))
}

#[cfg(test)]
mod tests {
    use crate::domain::commands::{Command, Reply};
    use crate::domain::venue::test_support::*;
    use crate::domain::{BookingId, Caller, DomainError, UserId, VenuePatch};

    fn patch(p: VenuePatch, who: Caller) -> Command {
        Command::UpdateVenue {
            caller: who,
            patch: Box::new(p),
        }
    }

    #[test]
    fn removing_a_booked_table_is_refused_and_names_the_booking() {
        let mut v = venue();
        v.execute(book("b1", "ann", "2026-12-24T18:00:00+08:00", 6), now());
        let mut resources = v.settings().resources.clone();
        resources.retain(|r| r.id.as_str() != "t6");
        let before = v.seq();
        let out = v.execute(
            patch(
                VenuePatch {
                    resources: Some(resources.clone()),
                    ..Default::default()
                },
                Caller::admin("root"),
            ),
            now(),
        );
        assert_eq!(
            out.reply,
            Err(DomainError::Strands {
                bookings: vec![BookingId::from("b1")],
                holds: vec![]
            })
        );
        assert_eq!(v.seq(), before);
        assert!(v.settings().resources.iter().any(|r| r.id.as_str() == "t6"));

        // Cancelled, it strands nothing.
        v.execute(
            Command::Transition {
                id: BookingId::from("b1"),
                caller: Caller::user("ann"),
                to: crate::domain::Transition::Cancel,
            },
            now(),
        );
        let out = v.execute(
            patch(
                VenuePatch {
                    resources: Some(resources),
                    ..Default::default()
                },
                Caller::admin("root"),
            ),
            now(),
        );
        assert!(matches!(out.reply, Ok(Reply::Venue(_))), "{:?}", out.reply);
        assert_eq!(out.events.len(), 1);
    }

    #[test]
    fn shortening_the_hours_strands_the_late_booking_only_if_live() {
        let mut v = venue();
        v.execute(book("late", "ann", "2026-12-24T20:30:00+08:00", 2), now());
        let mut hours = v.settings().opening_hours.clone();
        for day in hours.0.iter_mut() {
            day[1].close = 21 * 60;
        }
        let out = v.execute(
            patch(
                VenuePatch {
                    opening_hours: Some(hours),
                    ..Default::default()
                },
                Caller::admin("root"),
            ),
            now(),
        );
        assert!(
            matches!(out.reply, Err(DomainError::Strands { ref bookings, .. }) if bookings.len() == 1)
        );
    }

    #[test]
    fn only_staff_and_admins_change_a_venue_and_only_admins_its_staff() {
        let mut v = venue();
        let rename = |who| {
            patch(
                VenuePatch {
                    name: Some("New".into()),
                    ..Default::default()
                },
                who,
            )
        };
        assert!(matches!(
            v.execute(rename(Caller::user("sam")), now()).reply,
            Err(DomainError::Forbidden(_))
        ));
        let add = |who| Command::SetStaff {
            caller: who,
            user: UserId::from("sam"),
            member: true,
        };
        assert!(matches!(
            v.execute(add(Caller::user("sam")), now()).reply,
            Err(DomainError::Forbidden(_))
        ));
        assert_eq!(v.execute(add(Caller::admin("root")), now()).events.len(), 1);
        assert_eq!(v.execute(add(Caller::admin("root")), now()).events.len(), 0);
        assert!(matches!(
            v.execute(rename(Caller::user("sam")), now()).reply,
            Ok(Reply::Venue(_))
        ));
        assert_eq!(v.settings().name, "New");
        let appoint = VenuePatch {
            staff: Some([UserId::from("sam"), UserId::from("eve")].into()),
            ..Default::default()
        };
        let before = v.seq();
        assert!(matches!(
            v.execute(patch(appoint, Caller::user("sam")), now()).reply,
            Err(DomainError::Forbidden(_))
        ));
        assert_eq!(v.seq(), before);
        assert!(!v.settings().is_staff(&UserId::from("eve")));
    }
}
