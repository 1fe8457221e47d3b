//! An iCalendar (RFC 5545) writer for the calendar feed (API v1.1 §6):
//! just what the feed needs. Text is escaped (§3.3.11), instants are UTC,
//! lines end in CRLF and are folded at 75 octets without splitting a
//! character (§3.1).

use jiff::Timestamp;

/// One `VEVENT`.
pub struct Event<'a> {
    pub uid: String,
    pub start: Timestamp,
    pub end: Timestamp,
    pub summary: &'a str,
    pub location: Option<&'a str>,
    pub description: Option<&'a str>,
    /// `CONFIRMED`, `TENTATIVE` or `CANCELLED`.
    pub status: &'static str,
    pub sequence: u32,
    pub updated: Timestamp,
}

/// A whole `VCALENDAR` with these events, stamped `now`.
pub fn calendar(name: &str, events: &[Event<'_>], now: Timestamp) -> String {
    let mut out = String::new();
    line(&mut out, "BEGIN:VCALENDAR");
    line(&mut out, "VERSION:2.0");
    line(&mut out, "PRODID:-//booking-engine//calendar feed//EN");
    line(&mut out, "CALSCALE:GREGORIAN");
    line(&mut out, &format!("X-WR-CALNAME:{}", escape(name)));
    for e in events {
        line(&mut out, "BEGIN:VEVENT");
        line(&mut out, &format!("UID:{}", escape(&e.uid)));
        line(&mut out, &format!("DTSTAMP:{}", utc(now)));
        line(&mut out, &format!("LAST-MODIFIED:{}", utc(e.updated)));
        line(&mut out, &format!("DTSTART:{}", utc(e.start)));
        line(&mut out, &format!("DTEND:{}", utc(e.end)));
        line(&mut out, &format!("SUMMARY:{}", escape(e.summary)));
        if let Some(l) = e.location {
            line(&mut out, &format!("LOCATION:{}", escape(l)));
        }
        if let Some(d) = e.description {
            line(&mut out, &format!("DESCRIPTION:{}", escape(d)));
        }
        line(&mut out, &format!("STATUS:{}", e.status));
        line(&mut out, &format!("SEQUENCE:{}", e.sequence));
        line(&mut out, "END:VEVENT");
    }
    line(&mut out, "END:VCALENDAR");
    out
}

/// `20261224T100000Z`.
fn utc(ts: Timestamp) -> String {
    ts.strftime("%Y%m%dT%H%M%SZ").to_string()
}

/// TEXT escaping: backslash, semicolon, comma, newline.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends a content line folded at 75 octets: continuation lines start
/// with one space, which counts towards their 75.
fn line(out: &mut String, content: &str) {
    let mut width = 0;
    for c in content.chars() {
        let len = c.len_utf8();
        if width + len > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += len;
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_fold_at_75_octets_without_splitting_a_character() {
        let mut out = String::new();
        let long = format!("SUMMARY:{}", "宴".repeat(40));
        line(&mut out, &long);
        for l in out.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(l.len() <= 75, "{} octets", l.len());
        }
        let unfolded = out.replace("\r\n ", "");
        assert_eq!(unfolded.trim_end(), long);
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(escape("a,b;c\\d\ne"), "a\\,b\\;c\\\\d\\ne");
    }
}
