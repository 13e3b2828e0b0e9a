//! One module per subcommand: an `Args` struct whose doc comment is the help text, and a
//! `run` function.

pub mod affirm;
pub mod agent;
pub mod boundary;
pub mod checkin;
pub mod completions;
pub mod coreg;
pub mod delete;
pub mod demo;
pub mod doctor;
pub mod edit;
pub mod export;
pub mod gratitude;
pub mod import;
pub mod init;
pub mod insights;
pub mod journal;
pub mod list;
pub mod lock;
pub mod passphrase;
// pub mod reframe;
pub mod repair;
pub mod show;
pub mod star;
pub mod status;
pub mod unlock;
pub mod write;
