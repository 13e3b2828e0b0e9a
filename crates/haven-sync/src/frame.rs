//! Frames: a 4-byte big-endian length, then a postcard-encoded [`Frame`].
//!
//! The length is checked against [`MAX_FRAME`] before anything is allocated.

use serde::{Deserialize, Serialize};

use crate::JournalKey;
use crate::message::SyncMessage;

/// The largest frame accepted. Changes travel in batches of a few MiB (see
/// [`crate::session`]), so a frame this size holds the largest change allowed with room
/// to spare, whatever the size of the journal.
pub const MAX_FRAME: usize = 16 * 1024 * 1024;

/// A protocol version number carried in the hello.
pub const VERSION: u16 = 2;

/// Everything that travels in a sync session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Frame {
    /// Initiator: the protocol version and the journals it would sync with this peer.
    Hello {
        /// Protocol version.
        version: u16,
        /// Journals the initiator believes the peer is a member of.
        journals: Vec<JournalKey>,
    },
    /// Responder: the journals both sides agree to sync (a subset of the hello's).
    HelloAck {
        /// Agreed journals.
        journals: Vec<JournalKey>,
        /// Journals the initiator is a member of (on the responder's copy) but did not
        /// offer: journals it has not received yet.
        also: Vec<JournalKey>,
    },
    /// One round of sync messages, at most one per agreed journal; empty = idle.
    Round {
        /// (journal, its sync message).
        messages: Vec<(JournalKey, SyncMessage)>,
    },
    /// The sender has nothing more to say; the receiver closes.
    Done,
    /// The sender refuses to go on.
    Refused {
        /// Why, in plain words.
        reason: String,
    },
}

/// What can be wrong with bytes that should hold frames.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FrameError {
    /// The announced length exceeds [`MAX_FRAME`].
    #[error("frame of {0} bytes exceeds the limit of {MAX_FRAME}")]
    TooLarge(usize),
    /// The frame does not decode.
    #[error("malformed frame: {0}")]
    Malformed(String),
}

/// Encodes a frame (or any message of this protocol family) with its length prefix.
pub fn encode<T: Serialize>(frame: &T) -> Vec<u8> {
    let body = postcard::to_allocvec(frame).unwrap_or_default();
    let mut out = Vec::with_capacity(body.len() + 4);
    out.extend_from_slice(&(body.len() as u32).to_be_bytes());
    out.extend_from_slice(&body);
    out
}

/// The body length announced by a 4-byte prefix, checked against the limit.
pub fn body_len(prefix: [u8; 4]) -> Result<usize, FrameError> {
    let len = u32::from_be_bytes(prefix) as usize;
    if len > MAX_FRAME {
        return Err(FrameError::TooLarge(len));
    }
    Ok(len)
}

/// Decodes one frame body (without its prefix).
pub fn decode_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, FrameError> {
    postcard::from_bytes(body).map_err(|e| FrameError::Malformed(e.to_string()))
}

/// Decodes the first frame of `buf`: `Ok(None)` when more bytes are needed, else the frame
/// and how many bytes it used.
pub fn decode<T: serde::de::DeserializeOwned>(
    buf: &[u8],
) -> Result<Option<(T, usize)>, FrameError> {
    let Some(prefix) = buf.get(..4) else {
        return Ok(None);
    };
    let len = body_len([prefix[0], prefix[1], prefix[2], prefix[3]])?;
    let Some(body) = buf.get(4..4 + len) else {
        return Ok(None);
    };
    Ok(Some((decode_body(body)?, 4 + len)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_split() {
        let frames = vec![
            Frame::Hello {
                version: VERSION,
                journals: vec![[7; 16]],
            },
            Frame::Round {
                messages: vec![([1; 16], SyncMessage::default())],
            },
            Frame::Done,
        ];
        let mut bytes = Vec::new();
        for f in &frames {
            bytes.extend(encode(f));
        }
        let mut got = Vec::new();
        let mut at = 0;
        while let Some((f, used)) = decode::<Frame>(&bytes[at..]).unwrap() {
            got.push(f);
            at += used;
        }
        assert_eq!(got, frames);
        assert_eq!(decode::<Frame>(&bytes[..3]).unwrap(), None);
        assert_eq!(decode::<Frame>(&bytes[..6]).unwrap(), None);
    }

    #[test]
    fn oversized_and_garbage_frames_are_refused() {
        let huge = (MAX_FRAME as u32 + 1).to_be_bytes();
        assert_eq!(
            decode::<Frame>(&huge),
            Err(FrameError::TooLarge(MAX_FRAME + 1))
        );
        let mut garbage = 5u32.to_be_bytes().to_vec();
        garbage.extend([0xff, 0xff, 0xff, 0xff, 0xff]);
        assert!(matches!(
            decode::<Frame>(&garbage),
            Err(FrameError::Malformed(_))
        ));
    }
}
