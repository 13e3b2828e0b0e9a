//! Tickets as QR codes drawn in the terminal with half-block characters, two modules per
//! character cell vertically.
//!
//! The code carries the ticket in capitals, so that it fits QR's compact alphanumeric
//! mode; tickets parse in either case. Light modules are drawn with blocks and dark ones
//! left blank, which suits the usual light-on-dark terminal; phone scanners also read the
//! inverse.

use qrcode::{Color, EcLevel, QrCode};

/// Modules of quiet zone around the code.
const QUIET: usize = 4;

/// The QR code of `text` (upper-cased) as lines of half-block characters; `None` if it is
/// too long for a QR code.
pub fn render(text: &str) -> Option<String> {
    let code = QrCode::with_error_correction_level(text.to_ascii_uppercase(), EcLevel::L).ok()?;
    let width = code.width();
    let colors = code.to_colors();
    let full = width + 2 * QUIET;
    let light = |x: usize, y: usize| -> bool {
        if x < QUIET || y < QUIET || x >= width + QUIET || y >= width + QUIET {
            return true;
        }
        colors[(y - QUIET) * width + (x - QUIET)] == Color::Light
    };
    let mut out = String::new();
    for row in (0..full).step_by(2) {
        for x in 0..full {
            let top = light(x, row);
            let bottom = row + 1 >= full || light(x, row + 1);
            out.push(match (top, bottom) {
                (true, true) => '█',
                (true, false) => '▀',
                (false, true) => '▄',
                (false, false) => ' ',
            });
        }
        out.push('\n');
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads a rendered code back into an image (light = white) and decodes it.
    fn decode(drawn: &str) -> String {
        let rows: Vec<Vec<char>> = drawn.lines().map(|l| l.chars().collect()).collect();
        let width = rows[0].len();
        let mut modules = Vec::new();
        for line in &rows {
            let (mut top, mut bottom) = (Vec::new(), Vec::new());
            for c in line {
                let (t, b) = match c {
                    '█' => (true, true),
                    '▀' => (true, false),
                    '▄' => (false, true),
                    _ => (false, false),
                };
                top.push(t);
                bottom.push(b);
            }
            modules.push(top);
            modules.push(bottom);
        }
        const SCALE: usize = 4;
        let mut img = rqrr::PreparedImage::prepare_from_greyscale(
            width * SCALE,
            modules.len() * SCALE,
            |x, y| {
                // Dark modules dark: the scanner's usual view.
                if modules[y / SCALE][x / SCALE] {
                    255
                } else {
                    0
                }
            },
        );
        let grids = img.detect_grids();
        assert_eq!(grids.len(), 1, "one QR code in the picture");
        grids[0]
            .decode()
            .map(|(_, content)| content)
            .unwrap_or_default()
    }

    #[test]
    fn a_drawn_ticket_scans_back_to_the_same_ticket() {
        let ticket = haven_sync::ticket::Ticket {
            inviter: [0xab; 32],
            addrs: vec!["192.168.1.20:4919".parse().unwrap()],
            relay: Some("https://relay.example.org./".into()),
            secret: [7; 16],
            scope: haven_sync::ticket::Scope::Journal([3; 16]),
            expires_at_ms: 1_800_000_000_000,
        };
        let text = ticket.to_string();
        let drawn = render(&text).unwrap();
        assert!(drawn.lines().count() < 40, "fits a terminal:\n{drawn}");
        let scanned = decode(&drawn);
        assert_eq!(scanned, text.to_ascii_uppercase());
        let back: haven_sync::ticket::Ticket = scanned.parse().unwrap();
        assert!(back == ticket);
    }

    #[test]
    fn text_too_long_for_any_code_is_refused() {
        assert!(render(&"A".repeat(5000)).is_none());
    }
}
