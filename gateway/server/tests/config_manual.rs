//! The configuration manual (docs/CONFIG.md) and its annotated example
//! (docs/examples/fixgw.toml with the risk file it names) cannot drift
//! apart: the example loads and validates, every key it sets (or shows
//! commented out) is documented in the manual's section for that table,
//! and every key the manual documents appears in the example. Also: a bad
//! file makes `fixgw run --config` fail at start with every problem, each
//! naming the file, the key and the reason.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use gateway::config::{ConfigError, ConfigProblem, GatewayConfig};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A table header as the manual writes it (`[accounts.ID.limits]`,
/// `[[client]]`, `` for the top level) matches one of the example's.
fn header_matches(documented: &str, actual: &str) -> bool {
    let d: Vec<&str> = documented.split('.').collect();
    let a: Vec<&str> = actual.split('.').collect();
    d.len() == a.len() && d.iter().zip(&a).all(|(d, a)| *d == "ID" || d == a)
}

/// The tables and keys of a TOML text as written: `(header, key)` for
/// every `key = ...` line and every commented-out `# key = ...` line; the
/// header without brackets (`client`, `listener.tls`, `` at top level).
fn keys_of_example(text: &str) -> Vec<(String, String)> {
    let mut header = String::new();
    let mut out = Vec::new();
    for line in text.lines() {
        let code = line.strip_prefix("# ").unwrap_or(line).trim();
        if code.starts_with('[') && code.ends_with(']') {
            header = code.trim_matches(|c| c == '[' || c == ']').to_owned();
            continue;
        }
        let Some((key, _)) = code.split_once(" = ") else {
            continue;
        };
        if !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            out.push((header.clone(), key.to_owned()));
        }
    }
    out
}

/// A documented table: the headers it applies to and its keys.
struct Section {
    headers: Vec<String>,
    keys: BTreeSet<String>,
}

/// The sections of the manual's chapter whose `## ` heading names
/// `file`: each `### ` heading lists its tables in backticks
/// (`` `[firm]`, `[desks.ID.limits]` ``, or "top level"), and each table
/// row starting with `` | `key` `` documents a key.
fn manual_sections(manual: &str, file: &str) -> Vec<Section> {
    let mut sections: Vec<Section> = Vec::new();
    let mut in_chapter = false;
    for line in manual.lines() {
        if let Some(h) = line.strip_prefix("## ") {
            in_chapter = h.contains(&format!("`{file}`"));
            continue;
        }
        if !in_chapter {
            continue;
        }
        if let Some(h) = line.strip_prefix("### ") {
            let mut headers: Vec<String> = h
                .split('`')
                .skip(1)
                .step_by(2)
                .filter(|t| t.starts_with('['))
                .map(|t| t.trim_matches(|c| c == '[' || c == ']').to_owned())
                .collect();
            if h.contains("top level") {
                headers.push(String::new());
            }
            assert!(!headers.is_empty(), "a section heading without tables: {h}");
            sections.push(Section {
                headers,
                keys: BTreeSet::new(),
            });
        } else if let Some(row) = line.strip_prefix("| `") {
            let key = row.split('`').next().unwrap_or_default();
            let s = sections
                .last_mut()
                .unwrap_or_else(|| panic!("a key row outside a section: {line}"));
            s.keys.insert(key.to_owned());
        }
    }
    assert!(
        !sections.is_empty(),
        "no chapter about {file} in the manual"
    );
    sections
}

/// Both directions: every example key documented in its table's section,
/// every documented key in the example under one of the section's tables.
fn check_agreement(manual: &str, file: &str, example: &str) {
    let sections = manual_sections(manual, file);
    let keys = keys_of_example(example);
    let mut missing = Vec::new();
    for (header, key) in &keys {
        let documented = sections.iter().any(|s| {
            s.headers.iter().any(|h| header_matches(h, header))
                && (s.keys.contains(key) || s.keys.contains("ID"))
        });
        if !documented {
            missing.push(format!(
                "[{header}] {key}: in the example, not in the manual"
            ));
        }
    }
    for s in &sections {
        for key in &s.keys {
            let shown = keys.iter().any(|(h, k)| {
                s.headers.iter().any(|d| header_matches(d, h)) && (k == key || key == "ID")
            });
            if !shown {
                missing.push(format!(
                    "{:?} {key}: in the manual, not in the example",
                    s.headers
                ));
            }
        }
    }
    assert!(missing.is_empty(), "{file}:\n{}", missing.join("\n"));
}

/// The example with every commented-out `# key = value` line set.
fn uncommented(text: &str) -> String {
    text.lines()
        .map(|l| match l.strip_prefix("# ") {
            Some(code)
                if code.split_once(" = ").is_some_and(|(k, _)| {
                    k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                }) =>
            {
                code
            }
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_annotated_example_loads_and_its_risk_file_validates() {
    let example = repo().join("docs/examples/fixgw.toml");
    let cfg = GatewayConfig::load(&example).unwrap_or_else(|e| panic!("{e}"));
    let section = cfg.risk.as_ref().expect("the example has [risk]");
    assert_eq!(section.config, repo().join("docs/examples/risk.toml"));
    let rc = cfg
        .risk_config()
        .unwrap_or_else(|e| panic!("{e}"))
        .expect("a risk config");
    // The risk file also loads on its own, as the risk crate reads it.
    let risk_file = repo().join("docs/examples/risk.toml");
    risk::RiskConfig::from_toml("risk.toml", &read(&risk_file)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(cfg.listeners.len(), 2);
    assert!(cfg.listeners[1].tls.is_some());
    assert_eq!(
        cfg.venues[1].clearing_dir,
        Some(repo().join("docs/examples/clearing/SIMY"))
    );
    // [limits] folded in: the stricter wins.
    assert_eq!(rc.firm.max_order_qty, Some(10_000));

    // Every optional key shown commented out is valid set as shown.
    let all_set = uncommented(&read(&example));
    assert_ne!(all_set, read(&example), "the example shows optional keys");
    let file = example.with_file_name("fixgw-uncommented.toml");
    GatewayConfig::parse(&all_set, &file.display().to_string()).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn the_manual_documents_every_key_of_the_example_and_no_other() {
    let manual = read(&repo().join("docs/CONFIG.md"));
    check_agreement(
        &manual,
        "fixgw.toml",
        &read(&repo().join("docs/examples/fixgw.toml")),
    );
    check_agreement(
        &manual,
        "risk.toml",
        &read(&repo().join("docs/examples/risk.toml")),
    );
}

#[test]
fn the_agreement_check_notices_a_key_on_one_side_only() {
    let manual = "## The file (`x.toml`)\n### `[a]`, `[b.ID]`\n| `k` | int |\n| `j` | int |\n";
    check_agreement(manual, "x.toml", "[a]\nk = 1\n[b.X]\n# j = 2\n");
    let lost = std::panic::catch_unwind(|| check_agreement(manual, "x.toml", "[a]\nk = 1\n"));
    assert!(lost.is_err(), "a documented key missing from the example");
    let extra = std::panic::catch_unwind(|| {
        check_agreement(manual, "x.toml", "[a]\nk = 1\nj = 1\nz = 3\n")
    });
    assert!(extra.is_err(), "an example key missing from the manual");
}

/// `fixgw run --config` on a file with problems in the gateway file and
/// in its risk file: it exits at start, naming every one.
#[test]
fn fixgw_run_refuses_a_bad_config_naming_file_key_and_reason() {
    let dir = tempfile::tempdir().expect("tempdir");
    let risk = read(&repo().join("docs/examples/risk.toml"))
        .replacen("desk = \"EQ\"", "desk = \"NOPE\"", 1)
        .replace("lambda = 0.94", "lambda = 1.5");
    std::fs::write(dir.path().join("risk.toml"), risk).expect("write risk.toml");
    let gw = read(&repo().join("docs/examples/fixgw.toml"))
        .replace("clearing_dir = \"clearing/SIMY\"\n", "")
        .replace("begin_string = \"FIX.4.2\"", "begin_string = \"FIX.9\"")
        .replace(
            "clearing_url = \"http://127.0.0.1:9881/SIMX/clearing\"",
            "clearing_url = \"ftp://127.0.0.1/SIMX/clearing\"",
        );
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, gw).expect("write bad.toml");

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_fixgw"))
        .arg("run")
        .arg("--config")
        .arg(&bad)
        .output()
        .expect("run fixgw");
    assert!(!out.status.success(), "fixgw accepted a bad config");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let gw_file = bad.display().to_string();
    let risk_file = dir.path().join("risk.toml").display().to_string();
    assert!(
        stderr.contains(&format!("invalid configuration {gw_file}")),
        "{stderr}"
    );
    for want in [
        format!("{gw_file}: venue[0].clearing_url: \"ftp://127.0.0.1/SIMX/clearing\": must start with http:// or https://"),
        format!("{gw_file}: venue[1].begin_string: \"FIX.9\" is not one of"),
        format!("{risk_file}: accounts.ACC1.desk: unknown desk NOPE"),
        format!("{risk_file}: var.lambda: must be in (0, 1)"),
    ] {
        assert!(stderr.contains(&want), "missing {want:?} in\n{stderr}");
    }
    assert!(stderr.contains("4 problem(s)"), "{stderr}");

    // A file that is not TOML: where the parser stopped.
    std::fs::write(&bad, "[gateway]\ncomp_id = \n").expect("write bad.toml");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_fixgw"))
        .args(["run", "--config"])
        .arg(&bad)
        .output()
        .expect("run fixgw");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("{gw_file}: line 2, column ")),
        "{stderr}"
    );
}

#[test]
fn problems_are_typed_not_only_text() {
    let e = GatewayConfig::parse("[[listener]]\nport = 1\n", "gw.toml").unwrap_err();
    let ConfigError::Invalid(problems) = &e else {
        panic!("{e}")
    };
    assert!(problems.contains(&ConfigProblem::new(
        "gw.toml",
        "client",
        "at least one [[client]] is required"
    )));
    assert!(problems.contains(&ConfigProblem::new(
        "gw.toml",
        "venue",
        "at least one [[venue]] is required"
    )));
}
