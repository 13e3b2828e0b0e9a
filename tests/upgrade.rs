//! Vaults written by the release before changes were signed (`tests/fixtures/before-signing`,
//! made by `tests/fixtures/make-before-signing.sh` with that release): they open and read,
//! and two of them, upgraded, sync what each wrote offline before the upgrade. Nothing is
//! refused: each upgraded device signs a baseline over the history it held, and vouches for
//! it under its own rules.

#![allow(clippy::unwrap_used)]

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use common::Device;
use serde_json::Value;

fn copy_private(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    std::fs::set_permissions(to, std::fs::Permissions::from_mode(0o700)).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_private(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
            std::fs::set_permissions(&dest, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
    }
}

/// A device whose vault is the fixture `name`, as the old release left it.
fn upgraded(name: &str, person: &str, port: u16) -> Device {
    let d = Device::new(name, person, port);
    std::fs::remove_dir_all(&d.h.home).unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/before-signing")
        .join(name);
    copy_private(&fixture, &d.h.home);
    d
}

#[test]
fn vaults_from_before_signing_open_and_sync_what_they_wrote_offline() {
    let base = 21_000 + (std::process::id() % 2000) as u16 * 4;
    let robin = upgraded("robin", "Robin", base);
    let sam = upgraded("sam", "Sam", base + 1);
    // Each reads what it held, its offline note included.
    assert_eq!(robin.texts(None), ["robin private, before the upgrade"]);
    assert_eq!(
        robin.texts(Some("us")),
        [
            "robin in us, before the upgrade",
            "robin offline, before the upgrade",
            "sam in us, before the upgrade",
        ]
    );
    assert!(
        sam.texts(Some("us"))
            .contains(&"sam offline, before the upgrade".to_string())
    );
    // Upgraded, they sync: what each wrote offline reaches the other, refused by nothing.
    let log = robin.h.scratch().join("daemon.log");
    let _daemon = robin.daemon_logged(&["--for", "120s", "--pull-every", "3600"], &log);
    let synced: Value = serde_json::from_str(&sam.ok(&["sync", "--json"])).unwrap();
    assert_eq!(synced["peers"][0]["status"], "synced", "{synced}");
    let all = [
        "robin in us, before the upgrade",
        "robin offline, before the upgrade",
        "sam in us, before the upgrade",
        "sam offline, before the upgrade",
    ];
    assert_eq!(sam.texts(Some("us")), all);
    assert_eq!(robin.texts(Some("us")), all);
    // Old entries keep their authors, and new writes go both ways.
    let list: Value =
        serde_json::from_str(&robin.ok(&["--journal", "us", "list", "--json"])).unwrap();
    for e in list["entries"].as_array().unwrap() {
        let text = e["text"].as_str().unwrap();
        let want = if text.starts_with("sam") {
            "Sam"
        } else {
            "Robin"
        };
        assert_eq!(e["author"], want, "{e}");
    }
    sam.ok(&["--journal", "us", "write", "sam, after the upgrade"]);
    sam.ok(&["sync"]);
    assert!(
        robin
            .texts(Some("us"))
            .contains(&"sam, after the upgrade".to_string())
    );
    for d in [&robin, &sam] {
        let status = d.ok(&["status"]);
        assert!(!status.contains("refused"), "{status}");
        assert!(d.ok(&["doctor"]).contains("healthy"));
    }
    assert!(
        !std::fs::read_to_string(&log)
            .unwrap()
            .contains("may not make")
    );
}
