//! Configuration problems: the one type with which every configuration
//! file of the workspace (the gateway's TOML, the risk engine's TOML,
//! session schedules, the simulated venue's files) says what is wrong
//! with it: the file, the dotted key path and the reason.
//!
//! Owns the problem type ([`ConfigProblem`]), the collector a `validate()`
//! pushes every problem into ([`Problems`]) and the error a loader returns
//! ([`ConfigError`]: the file could not be read, is not valid TOML, or
//! holds invalid values, all of them listed at once). It does not parse
//! anything itself: loaders hand over the parser's message and the byte
//! span it points at, and [`ConfigError::parse`] turns the span into a
//! line and a column.
//!
//! Key paths are dotted, with array positions in brackets and 0-based as
//! the file's order: `venue[1].clearing_url`,
//! `accounts.ACC1.limits.max_order_qty`. A table that does not know the
//! file it sits in (a session schedule inside a larger file) reports its
//! problems with an empty file and keys relative to itself; the code that
//! embeds it places them with [`ConfigProblem::under`] and
//! [`ConfigProblem::in_file`].

use std::fmt;
use std::ops::Range;

/// One problem found in a configuration file.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ConfigProblem {
    /// The file, as given to the loader (empty while not yet known).
    pub file: String,
    /// Dotted key path, e.g. `accounts.ACC1.limits.max_order_qty`.
    pub key: String,
    /// Why it is wrong.
    pub reason: String,
}

impl ConfigProblem {
    /// A problem at `key` of `file`.
    pub fn new(file: impl Into<String>, key: impl Into<String>, reason: impl Into<String>) -> Self {
        ConfigProblem {
            file: file.into(),
            key: key.into(),
            reason: reason.into(),
        }
    }

    /// A problem of a table whose file is named later (see the module
    /// documentation).
    pub fn at(key: impl Into<String>, reason: impl Into<String>) -> Self {
        ConfigProblem::new(String::new(), key, reason)
    }

    /// The same problem in `file`, when it did not know its file yet.
    #[must_use]
    pub fn in_file(mut self, file: &str) -> Self {
        if self.file.is_empty() {
            self.file = file.to_owned();
        }
        self
    }

    /// The same problem with its key placed under `prefix`:
    /// `start_time` under `session[0].schedule` is
    /// `session[0].schedule.start_time`.
    #[must_use]
    pub fn under(mut self, prefix: &str) -> Self {
        if !prefix.is_empty() {
            self.key = if self.key.is_empty() {
                prefix.to_owned()
            } else {
                format!("{prefix}.{}", self.key)
            };
        }
        self
    }
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.file.is_empty() {
            write!(f, "{}: ", self.file)?;
        }
        write!(f, "{}: {}", self.key, self.reason)
    }
}

/// Where in a file's text a parser stopped: 1-based line and column
/// (the column counts characters, not bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Position {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
}

impl Position {
    /// The position of byte `offset` in `text` (clamped to its end and
    /// to a character boundary).
    pub fn of_offset(text: &str, offset: usize) -> Position {
        let mut end = offset.min(text.len());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let before = &text[..end];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        Position {
            line: before.matches('\n').count() + 1,
            column: before[line_start..].chars().count() + 1,
        }
    }
}

/// Why a configuration file could not be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{file}: cannot read: {reason}")]
    Read {
        /// The file.
        file: String,
        /// The operating system's reason.
        reason: String,
    },
    /// Not valid TOML, or a key of the wrong name or type.
    #[error("{file}: {}{message}", at.map(|p| format!("line {}, column {}: ", p.line, p.column)).unwrap_or_default())]
    Parse {
        /// The file.
        file: String,
        /// Where the parser stopped, when it said.
        at: Option<Position>,
        /// The parser's message.
        message: String,
    },
    /// Parsed, but some values are invalid: every one of them, in the
    /// order they were found.
    #[error("{} problem(s) in configuration:\n{}", .0.len(), list(.0))]
    Invalid(Vec<ConfigProblem>),
}

fn list(problems: &[ConfigProblem]) -> String {
    problems
        .iter()
        .map(|p| format!("  {p}"))
        .collect::<Vec<_>>()
        .join("\n")
}

impl ConfigError {
    /// `file` could not be read.
    pub fn read(file: &str, error: &std::io::Error) -> ConfigError {
        ConfigError::Read {
            file: file.to_owned(),
            reason: error.to_string(),
        }
    }

    /// `text`, read from `file`, could not be parsed: the parser said
    /// `message` about the bytes at `span`.
    pub fn parse(
        file: &str,
        text: &str,
        span: Option<Range<usize>>,
        message: impl Into<String>,
    ) -> ConfigError {
        ConfigError::Parse {
            file: file.to_owned(),
            at: span.map(|s| Position::of_offset(text, s.start)),
            message: message.into().trim_end().to_owned(),
        }
    }

    /// The problems of an invalid file (empty for a read or parse error).
    pub fn problems(&self) -> &[ConfigProblem] {
        match self {
            ConfigError::Invalid(p) => p,
            ConfigError::Read { .. } | ConfigError::Parse { .. } => &[],
        }
    }

    /// This error as problems of the file that refers to the one that
    /// failed: the referred file's own problems as they are (they name
    /// it), and a read or parse error as one problem at `key` of `file`,
    /// the key that names the failed file.
    pub fn into_problems_at(self, file: &str, key: &str) -> Vec<ConfigProblem> {
        match self {
            ConfigError::Invalid(p) => p,
            other => vec![ConfigProblem::new(file, key, other.to_string())],
        }
    }
}

/// The problems of one file, collected by its `validate()` so that all of
/// them are reported at once.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Problems {
    file: String,
    found: Vec<ConfigProblem>,
}

impl Problems {
    /// No problems yet in `file` (empty while the file is not known).
    pub fn new(file: &str) -> Problems {
        Problems {
            file: file.to_owned(),
            found: Vec::new(),
        }
    }

    /// `key` is wrong because of `reason`.
    pub fn push(&mut self, key: impl Into<String>, reason: impl Into<String>) {
        self.found
            .push(ConfigProblem::new(self.file.clone(), key, reason));
    }

    /// Problems found elsewhere (another file, an embedded table); those
    /// that do not know their file are placed in this one.
    pub fn extend(&mut self, problems: impl IntoIterator<Item = ConfigProblem>) {
        let file = &self.file;
        self.found
            .extend(problems.into_iter().map(|p| p.in_file(file)));
    }

    /// Whether nothing was found.
    pub fn is_empty(&self) -> bool {
        self.found.is_empty()
    }

    /// The problems found, in order.
    pub fn into_vec(self) -> Vec<ConfigProblem> {
        self.found
    }

    /// `Ok` when nothing was found, else every problem.
    pub fn into_result(self) -> Result<(), ConfigError> {
        if self.found.is_empty() {
            Ok(())
        } else {
            Err(ConfigError::Invalid(self.found))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_problem_names_file_key_and_reason() {
        let p = ConfigProblem::new("gw.toml", "venue[1].clearing_url", "https is not supported");
        assert_eq!(
            p.to_string(),
            "gw.toml: venue[1].clearing_url: https is not supported"
        );
        // A table's problem is placed by whoever embeds it.
        let p = ConfigProblem::at("start_time", "required");
        assert_eq!(p.to_string(), "start_time: required");
        let p = p.under("session[0].schedule").in_file("s.toml");
        assert_eq!(
            p.to_string(),
            "s.toml: session[0].schedule.start_time: required"
        );
        // A known file is kept.
        assert_eq!(p.clone().in_file("other.toml"), p);
        assert_eq!(ConfigProblem::at("", "r").under("schedule").key, "schedule");
    }

    #[test]
    fn every_problem_is_listed_at_once() {
        let mut p = Problems::new("risk.toml");
        assert!(p.is_empty());
        p.push("accounts.ACC1.desk", "unknown desk NOPE");
        p.extend([
            ConfigProblem::at("weekdays", "must name at least one day"),
            ConfigProblem::new("gw.toml", "risk.config", "cannot read"),
        ]);
        let e = p.into_result().unwrap_err();
        assert_eq!(e.problems().len(), 3);
        assert_eq!(
            e.to_string(),
            "3 problem(s) in configuration:\n  \
             risk.toml: accounts.ACC1.desk: unknown desk NOPE\n  \
             risk.toml: weekdays: must name at least one day\n  \
             gw.toml: risk.config: cannot read"
        );
        assert_eq!(Problems::new("f").into_result(), Ok(()));
    }

    #[test]
    fn parse_errors_give_line_and_column() {
        let text = "[a]\nx = 1\nyé = 2\n";
        let at = text.find("= 2").unwrap();
        let e = ConfigError::parse("f.toml", text, Some(at..at + 1), "bad\n");
        assert_eq!(e.to_string(), "f.toml: line 3, column 4: bad");
        let e = ConfigError::parse("f.toml", text, None, "bad");
        assert_eq!(e.to_string(), "f.toml: bad");
        assert_eq!(
            Position::of_offset(text, usize::MAX),
            Position { line: 4, column: 1 }
        );
        assert_eq!(Position::of_offset("", 0), Position { line: 1, column: 1 });
        // Inside a multi-byte character: its start.
        let e_acute = text.find('é').unwrap();
        assert_eq!(
            Position::of_offset(text, e_acute + 1),
            Position { line: 3, column: 2 }
        );
    }

    #[test]
    fn a_referred_file_that_fails_is_a_problem_of_the_key_naming_it() {
        let read = ConfigError::Read {
            file: "conf/risk.toml".into(),
            reason: "No such file".into(),
        };
        assert_eq!(
            read.into_problems_at("gw.toml", "risk.config"),
            [ConfigProblem::new(
                "gw.toml",
                "risk.config",
                "conf/risk.toml: cannot read: No such file"
            )]
        );
        let own = vec![ConfigProblem::new("conf/risk.toml", "firm", "bad")];
        assert_eq!(
            ConfigError::Invalid(own.clone()).into_problems_at("gw.toml", "risk.config"),
            own
        );
    }
}
