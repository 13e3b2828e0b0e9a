//! `haven doctor`: check the vault, quarantine damaged files, never delete.

use std::process::ExitCode;

use serde_json::json;

use crate::context::Context;
use crate::error::Result;
use crate::output;

/// Check every file of the vault. Damaged or foreign files are moved to quarantine/ (never
/// deleted), entries are recovered from the read cache where possible, and permissions are
/// tightened.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `haven doctor`.
pub fn run(ctx: &Context, _args: Args) -> Result<ExitCode> {
    let vault = ctx.vault()?;
    let (keys, _) = ctx.keys(&vault)?;
    let stamp = ctx.clock.now().strftime("%Y%m%dT%H%M%SZ").to_string();
    let report = haven_store::doctor::run(&vault, &keys, &stamp)?;
    if ctx.json {
        output::print_json(&json!({
            "checked": report.checked,
            "clean": report.is_clean(),
            "quarantined": report.quarantined.iter().map(|(p, why, to)| json!({"path": p, "reason": why, "moved_to": to})).collect::<Vec<_>>(),
            "foreign": report.foreign.iter().map(|(p, to)| json!({"path": p, "moved_to": to})).collect::<Vec<_>>(),
            "refused_chunks": report.refused.iter().map(|(p, to)| json!({"path": p, "moved_to": to})).collect::<Vec<_>>(),
            "recovered_entries": report.recovered,
            "temp_files_removed": report.temp_removed,
            "permissions_fixed": report.permissions_fixed,
            "unapplied_changes": report.unapplied_changes,
            "journals": report.journals.iter().map(|(id, n)| json!({"id": id, "entries": n})).collect::<Vec<_>>(),
        }))?;
        return Ok(ExitCode::SUCCESS);
    }
    println!("Checked {} files.", report.checked);
    for (path, why, to) in &report.quarantined {
        println!(
            "damaged  {}: {why}\n         moved to {}",
            path.display(),
            to.display()
        );
    }
    for (path, to) in &report.foreign {
        println!("foreign  {} moved to {}", path.display(), to.display());
    }
    for (path, to) in &report.refused {
        println!(
            "refused  {}: a chunk this device did not write, with changes it may not take; never read\n         moved to {}",
            path.display(),
            to.display()
        );
    }
    for path in &report.permissions_fixed {
        println!("fixed    permissions of {}", path.display());
    }
    if report.recovered > 0 {
        println!(
            "Recovered {} from the read cache.",
            output::count(report.recovered, "entry", "entries")
        );
    }
    if report.unapplied_changes > 0 {
        println!(
            "{} wait for a change that was lost; a sync with another device that has it will restore them.",
            output::count(report.unapplied_changes, "change", "changes")
        );
    }
    for (id, n) in &report.journals {
        println!(
            "journal {id}: {} readable",
            output::count(*n, "entry", "entries")
        );
    }
    if report.is_clean() {
        println!("The vault is healthy.");
    } else {
        println!(
            "Nothing was deleted; quarantined files are in {}.",
            vault.quarantine_dir().display()
        );
    }
    Ok(ExitCode::SUCCESS)
}
