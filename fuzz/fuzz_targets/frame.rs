//! The frame decoder, fed arbitrary bytes as they would arrive on a stream: it must return
//! a frame, ask for more bytes or refuse, never panic, and never accept a frame over the
//! size limit. A decoded frame must encode back to the bytes it was read from.
#![no_main]

use haven_sync::frame::{self, Frame, MAX_FRAME};
use haven_sync::pair::PairMsg;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut rest = data;
    while let Ok(Some((frame, used))) = frame::decode::<Frame>(rest) {
        assert!(used >= 4 && used - 4 <= MAX_FRAME && used <= rest.len());
        let again = frame::encode(&frame);
        let reread = frame::decode::<Frame>(&again).ok().flatten().map(|(f, _)| f);
        assert_eq!(reread.as_ref(), Some(&frame), "a frame must survive a round trip");
        rest = &rest[used..];
    }
    // The pairing exchange reads the same framing with its own messages.
    let _ = frame::decode::<PairMsg>(data);
});
