//! The real jrnl (4.6 from PyPI, named by `HAVEN_TEST_JRNL`) writes journals with its own
//! default configuration, plain and encrypted, and `haven import` reads them with no flags:
//! the journal file and its JSON export, field by field, with nothing added twice.

mod common;

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::Haven;
use serde_json::Value;

/// An isolated jrnl: its own configuration (jrnl's defaults, written by jrnl's own code),
/// journal and home; no editor, no keyring.
struct Jrnl {
    exe: PathBuf,
    dir: tempfile::TempDir,
    /// The password of an encrypted journal.
    password: Option<String>,
    /// Whether the encrypted journal exists yet (its first entry sets the password).
    created: std::cell::Cell<bool>,
}

const PASSWORD: &str = "quiet harbour 7";

impl Jrnl {
    fn new(exe: PathBuf, password: Option<&str>) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("haven-jrnl-")
            .tempdir()
            .expect("temp dir");
        let jrnl = Jrnl {
            exe,
            dir,
            password: password.map(str::to_string),
            created: std::cell::Cell::new(false),
        };
        let home = jrnl.dir.path().join("home");
        for sub in [".config", ".local/share", ".cache"] {
            std::fs::create_dir_all(home.join(sub)).expect("mkdir");
        }
        jrnl.python(
            "import sys\n\
             from jrnl.config import get_default_config, save_config\n\
             c = get_default_config()\n\
             c['journals']['default']['journal'] = sys.argv[1]\n\
             c['encrypt'] = sys.argv[2] == '1'\n\
             save_config(c, sys.argv[3])\n",
            &[
                jrnl.journal().to_str().expect("path"),
                if password.is_some() { "1" } else { "0" },
                jrnl.config().to_str().expect("path"),
            ],
        );
        let config = std::fs::read_to_string(jrnl.config()).expect("config");
        assert!(
            config.contains("timeformat: '%F %r'"),
            "jrnl's default time format: {config}"
        );
        jrnl
    }

    fn journal(&self) -> PathBuf {
        self.dir.path().join("journal.txt")
    }

    fn config(&self) -> PathBuf {
        self.dir.path().join("jrnl.yaml")
    }

    /// The Python of jrnl's environment, running `script` with `args`.
    fn python(&self, script: &str, args: &[&str]) -> String {
        let python = self.exe.parent().expect("bin dir").join("python");
        let out = self
            .env(Command::new(python))
            .arg("-c")
            .arg(script)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("run jrnl's python");
        assert!(
            out.status.success(),
            "python failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8")
    }

    fn env(&self, mut cmd: Command) -> Command {
        let home = self.dir.path().join("home");
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &home)
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("XDG_DATA_HOME", home.join(".local/share"))
            .env("XDG_CACHE_HOME", home.join(".cache"))
            .env("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
            .env("NO_COLOR", "1")
            .env("TERM", "dumb")
            .env("LC_ALL", "C.UTF-8")
            .env("PYTHONIOENCODING", "utf-8")
            .env("TZ", "UTC");
        cmd
    }

    /// jrnl in a session of its own, so that it reads passwords from standard input.
    fn cmd(&self, config: &Path) -> Command {
        let mut cmd = self.env(Command::new("setsid"));
        cmd.arg(&self.exe).arg("--config-file").arg(config);
        cmd
    }

    fn run(&self, config: &Path, args: &[&str], stdin: &str) -> String {
        let mut child = self
            .cmd(config)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run jrnl");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(stdin.as_bytes())
            .expect("write to jrnl");
        let out = child.wait_with_output().expect("wait for jrnl");
        assert!(
            out.status.success(),
            "jrnl {args:?} failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8")
    }

    /// Adds an entry: piped when plain (the way to give it several lines), as arguments
    /// when encrypted (standard input then carries the password).
    fn add(&self, text: &str) {
        match &self.password {
            None => {
                self.run(&self.config(), &[], text);
            }
            Some(pw) => {
                let answers = if self.created.replace(true) {
                    format!("{pw}\n")
                } else {
                    // Asked twice when the journal is created, then whether to keep it
                    // in a keychain.
                    format!("{pw}\n{pw}\nn\n")
                };
                self.run(&self.config(), &[text], &answers);
            }
        }
    }

    /// `jrnl --export json` of the journal `config` names.
    fn export_json(&self, config: &Path) -> String {
        let answers = self
            .password
            .as_ref()
            .map_or(String::new(), |pw| format!("{pw}\n"));
        self.run(config, &["--export", "json"], &answers)
    }
}

fn jrnl_exe() -> Option<PathBuf> {
    match std::env::var_os("HAVEN_TEST_JRNL") {
        Some(p) if !p.is_empty() => Some(PathBuf::from(p)),
        _ => {
            println!(
                "skipped: set HAVEN_TEST_JRNL to a jrnl 4.x executable (CI installs jrnl from PyPI)"
            );
            None
        }
    }
}

fn import(h: &Haven, file: &Path, extra: &[&str]) -> String {
    let mut args = vec!["import", "--from", "jrnl", file.to_str().expect("path")];
    args.extend_from_slice(extra);
    h.ok(&args)
}

fn without_device(list: Vec<Value>) -> Vec<Value> {
    list.into_iter()
        .map(|mut e| {
            e.as_object_mut().expect("entry").remove("device");
            e
        })
        .collect()
}

fn sorted_lower(v: &Value) -> Vec<String> {
    let mut tags: Vec<String> = v
        .as_array()
        .expect("tags")
        .iter()
        .map(|t| t.as_str().expect("tag").to_lowercase())
        .collect();
    tags.sort();
    tags.dedup();
    tags
}

/// Each Haven entry against jrnl's export of it, key by key; `seconds` are the seconds
/// of each entry's time, which only the journal file holds.
fn assert_matches_jrnl(got: &[Value], want: &[Value], seconds: &[u32]) {
    assert_eq!(got.len(), want.len());
    for ((e, j), s) in got.iter().zip(want).zip(seconds) {
        let when = format!(
            "{}T{}:{s:02}.000+00:00",
            j["date"].as_str().expect("date"),
            j["time"].as_str().expect("time")
        );
        assert_eq!(e["created"], when.as_str(), "{j:#} vs {e:#}");
        let title = j["title"].as_str().expect("title");
        let body = j["body"].as_str().expect("body");
        let text = if body.is_empty() {
            title.to_string()
        } else {
            format!("{title}\n{body}")
        };
        assert_eq!(e["text"], text.as_str(), "{j:#} vs {e:#}");
        assert_eq!(e["starred"], j["starred"], "{j:#} vs {e:#}");
        assert_eq!(
            sorted_lower(&e["tags"]),
            sorted_lower(&j["tags"]),
            "{j:#} vs {e:#}"
        );
        assert_eq!(e["kind"], "note");
    }
}

#[test]
fn jrnl_default_journal_and_its_export_import_with_no_flags_and_nothing_twice() {
    let Some(exe) = jrnl_exe() else { return };
    let jrnl = Jrnl::new(exe, None);
    jrnl.add("2024-01-02 09:15:42: Morgen mit Kaffee. Über #Ruhe und @Sam *");
    jrnl.add(
        "2024-03-04 21:40:05: Evening thoughts #gratitude\nSecond line with 日本語.\n\nThird paragraph *not a star*",
    );
    jrnl.add("2023-12-31 23:59:59: Year's end — ça va? #reflection #self-care *\nA quiet body.");
    jrnl.add("2024-03-04 07:05: Short one-liner. Then another sentence #work");
    let seconds = [59, 42, 0, 5]; // oldest first
    let file = std::fs::read_to_string(jrnl.journal()).expect("journal");
    assert!(file.contains("[2024-03-04 09:40:05 PM] Evening"), "{file}");

    let exported = jrnl.export_json(&jrnl.config());
    let jrnl_json: Value = serde_json::from_str(&exported).expect("jrnl JSON");
    let want = jrnl_json["entries"].as_array().expect("entries").clone();
    assert_eq!(want.len(), 4, "{exported}");

    // The export: minutes only.
    let h = Haven::init();
    let json_file = h.scratch().join("jrnl-export.json");
    std::fs::write(&json_file, &exported).expect("write");
    assert_eq!(
        import(&h, &json_file, &[]).trim(),
        "Imported 4 entries (0 already present)"
    );
    let from_json = h.entries_oldest_first();
    assert_matches_jrnl(&from_json, &want, &[0; 4]);
    assert_eq!(
        from_json.iter().filter(|e| e["starred"] == true).count(),
        2,
        "the `*` on the title lines"
    );
    // The journal file of the same entries adds nothing, though it has seconds.
    assert_eq!(
        import(&h, &jrnl.journal(), &[]).trim(),
        "Imported 0 entries (4 already present)"
    );

    // The journal file alone, with no flags: its format told from its dates.
    let text_only = Haven::init();
    let out = text_only
        .cmd(&[
            "import",
            "--from",
            "jrnl",
            jrnl.journal().to_str().expect("path"),
        ])
        .output()
        .expect("run haven");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "Imported 4 entries (0 already present)"
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("`%F %r`, told from the file"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let from_text = text_only.entries_oldest_first();
    assert_matches_jrnl(&from_text, &want, &seconds);
    let ids = |list: &[Value]| list.iter().map(|e| e["id"].clone()).collect::<Vec<_>>();
    assert_eq!(ids(&from_text), ids(&from_json), "one id per entry");
    // And its export adds nothing there either.
    assert_eq!(
        import(&text_only, &json_file, &[]).trim(),
        "Imported 0 entries (4 already present)"
    );

    // The format given, or read from jrnl's configuration, reads it the same way.
    for flags in [
        vec!["--time-format", "%F %r"],
        vec!["--jrnl-config", jrnl.config().to_str().expect("path")],
    ] {
        let given = Haven::init();
        import(&given, &jrnl.journal(), &flags);
        assert_eq!(
            without_device(given.entries_oldest_first()),
            without_device(from_text.clone()),
            "{flags:?}"
        );
    }
    // A wrong format names the line and the option, and imports nothing.
    let wrong = Haven::init();
    let before = wrong.snapshot();
    let err = wrong.fails(&[
        "import",
        "--from",
        "jrnl",
        jrnl.journal().to_str().expect("path"),
        "--time-format",
        "%Y-%m-%d %H:%M",
    ]);
    assert!(
        err.contains("line 1:")
            && err.contains("nothing was imported")
            && err.contains("--time-format"),
        "{err}"
    );
    assert_eq!(wrong.snapshot(), before);

    // Haven's export agrees with jrnl's on jrnl's keys.
    let ours: Value = serde_json::from_str(&h.ok(&["export", "--format", "json"])).expect("JSON");
    for (j, o) in want
        .iter()
        .zip(ours["entries"].as_array().expect("entries"))
    {
        for key in ["title", "body", "date", "time", "starred"] {
            assert_eq!(o[key], j[key], "`{key}`: {j:#} vs {o:#}");
        }
        assert_eq!(sorted_lower(&o["tags"]), sorted_lower(&j["tags"]));
    }
    let tag_counts = |v: &Value| {
        let mut tags: Vec<(String, u64)> = v["tags"]
            .as_object()
            .expect("tags")
            .iter()
            .map(|(k, v)| (k.to_lowercase(), v.as_u64().expect("count")))
            .collect();
        tags.sort();
        tags
    };
    assert_eq!(tag_counts(&ours), tag_counts(&jrnl_json));
}

/// Turns jrnl 4's v3 journal into the v2 and v1 files older jrnl wrote (with jrnl's own
/// salt and the same primitives), which jrnl 4 still reads. A v1 file holds jrnl 1's text:
/// dates with no brackets, in jrnl 1's default `timeformat` (jrnl 4 reads jrnl 1's text
/// with Python's `strptime`, which knows neither `%F` nor `%r`).
const OLDER_FORMATS: &str = r#"import base64, datetime, hashlib, os, re, sys
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes, padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from jrnl.encryption.Jrnlv2Encryption import Jrnlv2Encryption
from jrnl.encryption.Jrnlv3Encryption import Jrnlv3Encryption
v3, pw, v2_out, v1_out = sys.argv[1:5]
d = Jrnlv3Encryption('default', {'encrypt': True}); d.password = pw
text = d._decrypt(open(v3, 'rb').read())
assert text is not None
salt = Jrnlv2Encryption('default', {'encrypt': True})._salt
kdf = PBKDF2HMAC(algorithm=hashes.SHA256(), length=32, salt=salt, iterations=100_000)
open(v2_out, 'wb').write(Fernet(base64.urlsafe_b64encode(kdf.derive(pw.encode()))).encrypt(text.encode()))
def unbracket(m):
    when = datetime.datetime.strptime(m.group(1), '%Y-%m-%d %I:%M:%S %p')
    return when.strftime('%Y-%m-%d %H:%M') + ' '
legacy = re.sub(r'(?m)^\[([^\]]+)\] ', unbracket, text).encode()
iv = os.urandom(16)
p = padding.PKCS7(128).padder()
e = Cipher(algorithms.AES(hashlib.sha256(pw.encode()).digest()), modes.CBC(iv)).encryptor()
open(v1_out, 'wb').write(iv + e.update(p.update(legacy) + p.finalize()) + e.finalize())
"#;

#[test]
fn jrnl_encrypted_journals_import_with_their_password_and_a_wrong_one_changes_nothing() {
    let Some(exe) = jrnl_exe() else { return };
    let jrnl = Jrnl::new(exe, Some(PASSWORD));
    jrnl.add("2024-05-01 22:10:31: Ich habe gesagt, was ich brauche. #boundary *");
    jrnl.add("2024-05-02 07:45: Slept well. Woke up calm #rest");
    jrnl.add("2024-05-03 19:00:09: Called @Mum\nShe listened.");
    let v3 = std::fs::read(jrnl.journal()).expect("journal");
    assert!(v3.starts_with(b"JRNLv3"), "jrnl 4 writes its v3 format");
    // What jrnl itself reads from it.
    let exported = jrnl.export_json(&jrnl.config());
    let want = serde_json::from_str::<Value>(&exported).expect("JSON")["entries"]
        .as_array()
        .expect("entries")
        .clone();
    assert_eq!(want.len(), 3);

    let h = Haven::init();
    let pw_file = h.scratch().join("jrnl-password");
    std::fs::write(&pw_file, format!("{PASSWORD}\n")).expect("write");
    std::fs::set_permissions(&pw_file, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let wrong_file = h.scratch().join("wrong-password");
    std::fs::write(&wrong_file, "quiet harbour 8\n").expect("write");
    std::fs::set_permissions(&wrong_file, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let journal = jrnl.journal();
    let journal = journal.to_str().expect("path");

    // A wrong password: refused clearly, nothing imported.
    let before = h.snapshot();
    let err = h.fails(&[
        "import",
        "--from",
        "jrnl",
        journal,
        "--jrnl-password-file",
        wrong_file.to_str().expect("path"),
    ]);
    assert!(
        err.contains("the password does not open")
            && err.contains("format v3")
            && err.contains("nothing was imported"),
        "{err}"
    );
    // No password and no terminal to ask on: the option is named.
    let err = h.fails(&["import", "--from", "jrnl", journal]);
    assert!(
        err.contains("encrypted jrnl journal") && err.contains("--jrnl-password-file"),
        "{err}"
    );
    assert_eq!(h.snapshot(), before, "nothing was written");

    // The right one: every entry, field by field, with the file's seconds.
    let pw = pw_file.to_str().expect("path");
    assert_eq!(
        import(&h, jrnl.journal().as_path(), &["--jrnl-password-file", pw]).trim(),
        "Imported 3 entries (0 already present)"
    );
    let got = h.entries_oldest_first();
    assert_matches_jrnl(&got, &want, &[31, 0, 9]);
    // Its export adds nothing.
    let json_file = h.scratch().join("export.json");
    std::fs::write(&json_file, &exported).expect("write");
    assert_eq!(
        import(&h, &json_file, &[]).trim(),
        "Imported 0 entries (3 already present)"
    );

    // The older formats jrnl 4 still reads: jrnl reads them, and so does Haven.
    let v2 = h.scratch().join("journal-v2.txt");
    let v1 = h.scratch().join("journal-v1.txt");
    jrnl.python(
        OLDER_FORMATS,
        &[
            journal,
            PASSWORD,
            v2.to_str().expect("path"),
            v1.to_str().expect("path"),
        ],
    );
    for (file, prefix_v2) in [(&v2, true), (&v1, false)] {
        let config = jrnl.dir.path().join("older.yaml");
        let mut yaml = std::fs::read_to_string(jrnl.config())
            .expect("config")
            .replace(journal, file.to_str().expect("path"));
        if !prefix_v2 {
            yaml = yaml.replace("timeformat: '%F %r'", "timeformat: '%Y-%m-%d %H:%M'");
        }
        std::fs::write(&config, yaml).expect("config");
        let theirs: Value = serde_json::from_str(&jrnl.export_json(&config)).expect("JSON");
        assert_eq!(
            theirs["entries"].as_array().expect("entries"),
            &want,
            "{file:?}"
        );
        let bytes = std::fs::read(file).expect("read");
        assert_eq!(bytes.starts_with(b"gAAAAA"), prefix_v2, "{file:?}");
        assert!(!bytes.starts_with(b"JRNLv3"));
        let older = Haven::init();
        assert_eq!(
            import(&older, file, &["--jrnl-password-file", pw]).trim(),
            "Imported 3 entries (0 already present)"
        );
        // v1's dates have minutes only; all else is as jrnl 4's own file gave it.
        let same = |list: Vec<Value>| {
            without_device(list)
                .into_iter()
                .map(|mut e| {
                    let created = e["created"].as_str().expect("created").to_string();
                    e["created"] = Value::from(if prefix_v2 {
                        created
                    } else {
                        created[..16].to_string()
                    });
                    e
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(
            same(older.entries_oldest_first()),
            same(got.clone()),
            "{file:?}"
        );
    }
}
