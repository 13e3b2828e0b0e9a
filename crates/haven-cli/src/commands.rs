//! One module per subcommand: an `Args` struct whose doc comment is the help text, and a
//! `run` function.

pub mod agent;
pub mod demo;
pub mod doctor;
pub mod export;
pub mod import;
pub mod init;
pub mod insights;
pub mod list;
pub mod lock;
pub mod passphrase;
pub mod show;
pub mod star;
pub mod status;
pub mod unlock;
pub mod write;
