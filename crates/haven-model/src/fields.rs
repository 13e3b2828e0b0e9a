//! The structured fields of each practice: the keys stored in an entry's `fields` map, and
//! their schema as data ([`fields_of`]).
//!
//! | kind | keys |
//! |---|---|
//! | `checkin` | `feelings` list, `intensity` int 0-10, `pleasantness` int -5..=5 (optional), `energy` int -5..=5 (optional), `needs` list, `response` text (a self-compassionate response, optional) |
//! | `gratitude` | `ways` list (listened, supported, showed care, showed up, ...); the people are the entry's `people`; the text says how |
//! | `affirmation` | `source` text (`own`); the text is the affirmation |
//! | `reframe` | `original` text, `patterns` list (pattern ids found), `feel` text, `need` text, `request` text; the text is the reframed statement |
//! | `boundary` | `event` text (`reflection`, `crossed`, `kept`, `cancelled`), `context` text, `needs_respected` text (yes/no/partly), `honouring_theirs` text (yes/no/partly), `action` text; the person is in `people` |
//! | `repair` | `my_part`, `their_experience`, `path_forward` texts; `state` text (`open` or `repaired`); an answer has `answers` = the repair's id and either its own three steps or `received` = true |
//! | `coreg` | `mode` text (`checkin`, `break`, `here`), `needs` list (presence, hug, space, talk, ...), `overwhelm` int 0-10, `break_minutes` int 20..=1440 and `return_at` int ms (breaks), `replies_to` text (an entry id, for `here`) |

mod spec;

pub use spec::{FieldError, FieldSpec, FieldType, KindFields, display_value, fields_of, label_of};

/// Field keys, so that producers and consumers agree on spelling.
pub mod key {
    /// Check-in feelings (list).
    pub const FEELINGS: &str = "feelings";
    /// Check-in intensity 0-10 (int).
    pub const INTENSITY: &str = "intensity";
    /// Check-in pleasantness -5..=5 (int).
    pub const PLEASANTNESS: &str = "pleasantness";
    /// Check-in energy -5..=5 (int).
    pub const ENERGY: &str = "energy";
    /// Needs (list), for check-ins and co-regulation.
    pub const NEEDS: &str = "needs";
    /// A self-compassionate response (text).
    pub const RESPONSE: &str = "response";
    /// Ways someone showed up (list), for gratitude.
    pub const WAYS: &str = "ways";
    /// Where an affirmation came from (text).
    pub const SOURCE: &str = "source";
    /// The original sentence of a reframe (text).
    pub const ORIGINAL: &str = "original";
    /// Pattern ids a reframe found (list).
    pub const PATTERNS: &str = "patterns";
    /// "I feel ..." (text).
    pub const FEEL: &str = "feel";
    /// "I need ..." (text).
    pub const NEED: &str = "need";
    /// "Could we ..." (text).
    pub const REQUEST: &str = "request";
    /// Boundary event: reflection, crossed, kept, cancelled (text).
    pub const EVENT: &str = "event";
    /// Boundary context (text).
    pub const CONTEXT: &str = "context";
    /// Are my needs respected: yes, no, partly (text).
    pub const NEEDS_RESPECTED: &str = "needs_respected";
    /// Am I honouring theirs: yes, no, partly (text).
    pub const HONOURING_THEIRS: &str = "honouring_theirs";
    /// What I will do (text).
    pub const ACTION: &str = "action";
    /// Repair step one (text).
    pub const MY_PART: &str = "my_part";
    /// Repair step two (text).
    pub const THEIR_EXPERIENCE: &str = "their_experience";
    /// Repair step three (text).
    pub const PATH_FORWARD: &str = "path_forward";
    /// Repair state: open or repaired (text).
    pub const STATE: &str = "state";
    /// The repair this entry answers (text id).
    pub const ANSWERS: &str = "answers";
    /// An answer that only says "received" (bool).
    pub const RECEIVED: &str = "received";
    /// Co-regulation mode: checkin, break, here (text).
    pub const MODE: &str = "mode";
    /// How overwhelmed, 0-10 (int).
    pub const OVERWHELM: &str = "overwhelm";
    /// Length of a break in minutes (int).
    pub const BREAK_MINUTES: &str = "break_minutes";
    /// When a break ends, ms since the epoch (int).
    pub const RETURN_AT: &str = "return_at";
    /// The entry an "I'm here" replies to (text id).
    pub const REPLIES_TO: &str = "replies_to";
}
