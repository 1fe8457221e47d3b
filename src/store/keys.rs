//! Key encoding, in one place. A child key is its parent id, a zero byte,
//! then the child; sequence numbers are big-endian so that byte order is
//! numeric order. Ids are ASCII without zero bytes (the engine makes them).

use crate::domain::{BookingId, VenueId};

const SEP: u8 = 0;

/// The key of a top-level record.
pub fn top(id: &str) -> Vec<u8> {
    id.as_bytes().to_vec()
}

/// The key of a record under a parent (a venue's booking, a user's booking).
pub fn child(parent: &str, child: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(parent.len() + 1 + child.len());
    key.extend_from_slice(parent.as_bytes());
    key.push(SEP);
    key.extend_from_slice(child.as_bytes());
    key
}

/// The key of a venue's event.
pub fn event(venue: &VenueId, seq: u64) -> Vec<u8> {
    let mut key = Vec::with_capacity(venue.as_str().len() + 9);
    key.extend_from_slice(venue.as_str().as_bytes());
    key.push(SEP);
    key.extend_from_slice(&seq.to_be_bytes());
    key
}

/// A venue's by-start key of a booking: venue, zero, start (microseconds,
/// big-endian with the sign bit flipped so that byte order is time order),
/// booking id.
pub fn start(venue: &VenueId, at: jiff::Timestamp, booking: &BookingId) -> Vec<u8> {
    let mut key = start_bound(venue, at);
    key.extend_from_slice(booking.as_str().as_bytes());
    key
}

/// The first by-start key of a venue at or after `at`.
pub fn start_bound(venue: &VenueId, at: jiff::Timestamp) -> Vec<u8> {
    let mut key = Vec::with_capacity(venue.as_str().len() + 9 + 40);
    key.extend_from_slice(venue.as_str().as_bytes());
    key.push(SEP);
    let flipped = (at.as_microsecond() as u64) ^ (1 << 63);
    key.extend_from_slice(&flipped.to_be_bytes());
    key
}

/// The start and booking id of a by-start key after its venue's prefix.
pub fn start_parts(key: &[u8], prefix_len: usize) -> Option<(jiff::Timestamp, BookingId)> {
    let rest = key.get(prefix_len..)?;
    let micros = u64::from_be_bytes(rest.get(..8)?.try_into().ok()?) ^ (1 << 63);
    let at = jiff::Timestamp::from_microsecond(micros as i64).ok()?;
    let id = std::str::from_utf8(rest.get(8..)?).ok()?;
    Some((at, BookingId::from(id)))
}

/// `[from, to)` covering every child of a parent.
pub fn children(parent: &str) -> (Vec<u8>, Vec<u8>) {
    let mut from = parent.as_bytes().to_vec();
    let mut to = from.clone();
    from.push(SEP);
    to.push(SEP + 1);
    (from, to)
}

/// The smallest key greater than every key starting with `prefix` (the
/// prefix itself when it is all `0xff`, which no key of ours is).
pub fn prefix_end(prefix: &[u8]) -> Vec<u8> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return end;
        }
    }
    prefix.to_vec()
}

/// The child part of a child key.
pub fn child_part(key: &[u8]) -> &[u8] {
    match key.iter().position(|b| *b == SEP) {
        Some(i) => &key[i + 1..],
        None => &[],
    }
}

/// The sequence number of an event key.
pub fn event_seq(key: &[u8]) -> Option<u64> {
    let tail: [u8; 8] = key.get(key.len().checked_sub(8)?..)?.try_into().ok()?;
    Some(u64::from_be_bytes(tail))
}

/// A sequence number as a value.
pub fn seq_value(seq: u64) -> Vec<u8> {
    seq.to_be_bytes().to_vec()
}

/// A sequence number read back from a value.
pub fn seq_from(value: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(value.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_keys_sort_numerically_and_stay_inside_their_venue() {
        let v = VenueId::from("v1");
        let keys: Vec<_> = [1u64, 2, 255, 256, 70_000]
            .iter()
            .map(|s| event(&v, *s))
            .collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
        let (from, to) = children("v1");
        assert!(keys.iter().all(|k| from <= *k && *k < to));
        assert!(event(&VenueId::from("v10"), 1) >= to);
        assert_eq!(event_seq(&keys[3]), Some(256));
        assert_eq!(child_part(&child("v1", "b7")), b"b7");
        assert_eq!(prefix_end(&[7, b'a', 0xff]), vec![7, b'b']);
    }
}
