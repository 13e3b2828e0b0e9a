//! The HTML page: the document with its inline CSS (light and dark), the header and summary
//! figures, the frame every section shares (heading, lead, the friendly text shown when a
//! section has nothing yet) and the escaping all user text passes through.

use std::fmt::Write as _;

use haven_model::insights::Insights;

use super::range_label;
use super::rankings::{boundaries_section, needs_section, people_section};
use super::timelines::{feelings_section, repairs_section, streak_section};
use crate::output;

/// Escapes text for HTML and SVG content and attribute values, after removing terminal
/// escape sequences, control characters and bidirectional overrides.
pub(super) fn esc(s: &str) -> String {
    let s = output::clean(s, false);
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\t' => out.push(' '),
            c if c.is_control() => {}
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => {}
            c => out.push(c),
        }
    }
    out
}

const CSS: &str = r#"
:root{--bg:#fbf8f4;--fg:#2d2a32;--muted:#6f6a75;--card:#fff;--line:#e6e0d8;
--a:#5b7fd6;--b:#d9805f;--c:#5aa37a;--d:#c9a23a;--e:#9a8fb0;--r:#cf4b4b;--grid:#eee8e0}
@media (prefers-color-scheme:dark){:root{--bg:#1f1d23;--fg:#eeeaf2;--muted:#a59fae;
--card:#2a2730;--line:#3b3742;--grid:#37333d}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);
font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Ubuntu,sans-serif}
main{max-width:960px;margin:0 auto;padding:32px 20px 48px}
header h1{margin:0 0 4px;font-size:28px;font-weight:650}
header p{margin:0;color:var(--muted)}
.summary{display:flex;flex-wrap:wrap;gap:12px;margin:20px 0 8px}
.stat{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:10px 16px;min-width:130px}
.stat b{display:block;font-size:24px}
.stat span{color:var(--muted);font-size:14px}
section{background:var(--card);border:1px solid var(--line);border-radius:16px;padding:20px 24px;margin:20px 0}
section h2{margin:0 0 4px;font-size:20px}
section p.lead{margin:0 0 12px;color:var(--muted)}
p.empty{margin:8px 0;padding:14px 16px;border-radius:10px;background:var(--bg);color:var(--muted)}
svg{display:block;max-width:100%;height:auto;margin:8px 0}
svg text{fill:var(--fg);font:13px system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
svg .muted{fill:var(--muted);font-size:12px}
svg .grid{stroke:var(--grid);stroke-width:1}
.fr{fill:var(--r)}.fa{fill:var(--a)}.fb{fill:var(--b)}.fc{fill:var(--c)}.fd{fill:var(--d)}.fe{fill:var(--e)}
.area{fill:var(--a);opacity:.22}.line{fill:none;stroke:var(--b);stroke-width:2.5}
.line-a{fill:none;stroke:var(--a);stroke-width:2}
.dot{fill:var(--b)}.cell0{fill:var(--grid)}
.legend{display:flex;flex-wrap:wrap;gap:14px;margin:4px 0 0;padding:0;list-style:none;color:var(--muted);font-size:14px}
.legend i{display:inline-block;width:12px;height:12px;border-radius:3px;margin-right:6px;vertical-align:-1px}
.kr{background:var(--r)}.ka{background:var(--a)}.kb{background:var(--b)}.kc{background:var(--c)}.kd{background:var(--d)}.ke{background:var(--e)}
table{border-collapse:collapse;width:100%;margin-top:8px;font-size:15px}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line)}
th{color:var(--muted);font-weight:600}th.n,td.n{text-align:right;font-variant-numeric:tabular-nums}
footer{color:var(--muted);font-size:13px;text-align:center;margin-top:28px}
@media (max-width:640px){main{padding:16px 10px 32px}header h1{font-size:22px}
section{padding:14px 12px;overflow-x:auto}.stat{min-width:0;flex:1 1 40%}
svg{max-width:none}table{font-size:14px}th,td{padding:5px 4px}}
"#;

/// The insights as one self-contained HTML5 page titled `title`.
pub fn html(ins: &Insights, title: &str) -> String {
    let mut o = String::with_capacity(32 * 1024);
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"color-scheme\" content=\"light dark\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
         <title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n",
        esc(title)
    );
    let _ = writeln!(
        o,
        "<header><h1>{}</h1><p>{} · computed on {}</p></header>",
        esc(title),
        esc(&range_label(ins.from, ins.to)),
        ins.today
    );
    let avg = ins
        .feelings
        .average_intensity
        .map_or("–".to_string(), |a| format!("{a:.1}"));
    o.push_str("<div class=\"summary\">");
    for (n, what) in [
        (ins.entries.to_string(), "entries"),
        (ins.feelings.checkins.to_string(), "check-ins"),
        (avg, "average intensity"),
        (
            ins.support.gratitude_entries.to_string(),
            "gratitude entries",
        ),
        (ins.streak.current.to_string(), "day gratitude streak"),
    ] {
        let _ = write!(o, "<div class=\"stat\"><b>{n}</b><span>{what}</span></div>");
    }
    o.push_str("</div>\n");

    feelings_section(&mut o, ins);
    needs_section(&mut o, ins);
    people_section(&mut o, ins);
    boundaries_section(&mut o, ins);
    repairs_section(&mut o, ins);
    streak_section(&mut o, ins);

    o.push_str(
        "<footer>Written by <code>haven insights</code> from your journal. This page holds \
         journal content: keep it somewhere private.</footer>\n</main>\n</body>\n</html>\n",
    );
    o
}

pub(super) fn section_start(o: &mut String, id: &str, heading: &str, lead: &str) {
    let _ = writeln!(
        o,
        "<section id=\"{id}\"><h2>{}</h2><p class=\"lead\">{}</p>",
        esc(heading),
        esc(lead)
    );
}

pub(super) fn empty(o: &mut String, name: &str, text: &str) {
    let _ = write!(
        o,
        "<p class=\"empty\" data-empty=\"{name}\">{}</p>\n</section>\n",
        esc(text)
    );
}
