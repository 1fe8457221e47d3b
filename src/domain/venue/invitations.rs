//! Shared bookings (API v1.1 §6): the owner invites friends; an invitee who
//! accepts sees the booking (without the phone) and its events, and can
//! change nothing. Everyone else still gets 404.

use jiff::Timestamp;

use super::Venue;
use crate::domain::commands::Reply;
use crate::domain::{
    Booking, BookingId, Caller, Change, DomainError, Event, InviteStatus, Invitee, Seen, UserId,
};

impl Venue {
    /// How the caller sees a booking, if at all.
    pub fn sees(&self, caller: &Caller, b: &Booking) -> Option<Seen> {
        if self.manages(caller) {
            Some(Seen::Manager)
        } else if b.user_id.as_ref() == Some(&caller.user) {
            Some(Seen::Owner)
        } else if b.has_guest(&caller.user) {
            Some(Seen::Invitee)
        } else {
            None
        }
    }

    pub(super) fn invite(
        &mut self,
        (id, caller): (&BookingId, &Caller),
        (user, name, friends): (UserId, Option<String>, bool),
        now: Timestamp,
        events: &mut Vec<Event>,
    ) -> Result<Reply, DomainError> {
        let b = self.live_booking(id, caller)?;
        if b.user_id.as_ref() != Some(&caller.user) {
            return Err(DomainError::Forbidden(
                "only the booking's customer invites friends to it",
            ));
        }
        if !friends {
            return Err(DomainError::NotFound("friend"));
        }
        if let Some(i) = b.invitees.iter().find(|i| i.user_id == user)
            && i.status != InviteStatus::Declined
        {
            return Err(DomainError::Conflict(format!(
                "they are {} already",
                i.status.as_str()
            )));
        }
        if b.invited() + 1 > b.party_size.saturating_sub(1) as usize {
            return Err(DomainError::Limit(format!(
                "a party of {} has room for {} invited friends",
                b.party_size,
                b.party_size.saturating_sub(1)
            )));
        }
        let booking = self.change_invitees(id, now, |list| {
            list.retain(|i| i.user_id != user);
            list.push(Invitee {
                user_id: user.clone(),
                name,
                status: InviteStatus::Invited,
            });
        });
        events.push(self.emit(now, Change::BookingInvited(booking.clone())));
        Ok(Reply::Invitation(Box::new(booking), user))
    }

    pub(super) fn answer_invitation(
        &mut self,
        id: &BookingId,
        caller: &Caller,
        accept: bool,
        now: Timestamp,
        events: &mut Vec<Event>,
    ) -> Result<Reply, DomainError> {
        let b = self.booking(id).ok_or(DomainError::NotFound("booking"))?;
        let Some(mine) = b.invitees.iter().find(|i| i.user_id == caller.user) else {
            return Err(DomainError::NotFound("booking"));
        };
        if mine.status != InviteStatus::Invited {
            return Err(DomainError::Conflict(format!(
                "you {} already",
                mine.status.as_str()
            )));
        }
        if !b.status.takes_capacity() {
            return Err(DomainError::Conflict(format!(
                "the booking is {}",
                b.status.as_str()
            )));
        }
        let status = if accept {
            InviteStatus::Accepted
        } else {
            InviteStatus::Declined
        };
        let booking = self.change_invitees(id, now, |list| {
            for i in list.iter_mut().filter(|i| i.user_id == caller.user) {
                i.status = status;
            }
        });
        events.push(self.emit(now, Change::BookingUpdated(booking.clone())));
        Ok(Reply::Invitation(Box::new(booking), caller.user.clone()))
    }

    pub(super) fn remove_invitation(
        &mut self,
        id: &BookingId,
        caller: &Caller,
        user: &UserId,
        now: Timestamp,
        events: &mut Vec<Event>,
    ) -> Result<Reply, DomainError> {
        let b = self.booking(id).ok_or(DomainError::NotFound("booking"))?;
        let owner = b.user_id.as_ref() == Some(&caller.user);
        let invited = b.invitees.iter().any(|i| i.user_id == caller.user);
        if !owner && !invited {
            return Err(DomainError::NotFound("booking"));
        }
        if !owner && &caller.user != user {
            return Err(DomainError::Forbidden(
                "an invitee may only withdraw themselves",
            ));
        }
        if !b.invitees.iter().any(|i| &i.user_id == user) {
            return Ok(Reply::Done);
        }
        let booking = self.change_invitees(id, now, |list| list.retain(|i| &i.user_id != user));
        events.push(self.emit(now, Change::BookingUpdated(booking)));
        Ok(Reply::Done)
    }

    /// A booking the caller may see that still holds capacity.
    fn live_booking(&self, id: &BookingId, caller: &Caller) -> Result<&Booking, DomainError> {
        let b = self
            .booking(id)
            .filter(|b| self.sees(caller, b).is_some())
            .ok_or(DomainError::NotFound("booking"))?;
        if !b.status.takes_capacity() {
            return Err(DomainError::Conflict(format!(
                "a {} booking cannot be shared",
                b.status.as_str()
            )));
        }
        Ok(b)
    }

    /// Applies `edit` to a booking's invitees: a booking change (a new
    /// version, §12).
    fn change_invitees(
        &mut self,
        id: &BookingId,
        now: Timestamp,
        edit: impl FnOnce(&mut Vec<Invitee>),
    ) -> Booking {
        let entry = self.bookings.get_mut(id).unwrap(); // unwrap: every caller looked it up in this call.
        edit(&mut entry.record.invitees);
        entry.record.version += 1;
        entry.record.updated_at = now;
        entry.record.clone()
    }
}
