//! Ticket parsing, fed arbitrary text: it must parse or refuse with an error, never panic,
//! and a parsed ticket must print back to text that parses to the same ticket.
#![no_main]

use haven_sync::ticket::Ticket;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(ticket) = text.parse::<Ticket>() {
        let again: Ticket = ticket
            .to_string()
            .parse()
            .expect("a printed ticket parses again");
        assert!(again == ticket, "a ticket must survive a round trip");
    }
});
