//! The administrator's commands (`terminal add|code|list|alerts|revoke`, `config import`),
//! over any [`Store`]. Each returns the text for stdout: a human layout, or JSON with `--json`.

use std::fmt::Write as _;
use std::io::IsTerminal as _;

use anyhow::{Context as _, bail};
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use qrcode::QrCode;
use qrcode::render::unicode::Dense1x2;
use serde_json::json;

use crate::config_doc;
use crate::secret;
use crate::store::{ImportOutcome, NewTerminal, Store, TamperAlert, Terminal, TerminalRow};

/// Options of `terminal add`.
#[derive(Debug, Clone)]
pub struct AddTerminal {
    /// Commune code.
    pub commune: String,
    /// Display name.
    pub name: String,
    /// Counter, if any.
    pub counter: Option<String>,
    /// Hours until the code expires.
    pub expires_hours: u32,
}

/// `terminal add`: creates a terminal and prints its one-time enrollment code.
pub async fn add_terminal<S: Store>(
    store: &S,
    opts: AddTerminal,
    json: bool,
) -> anyhow::Result<String> {
    check_code_like("--commune", &opts.commune)?;
    if opts.name.trim().is_empty() {
        bail!("--name must not be empty");
    }
    if let Some(counter) = &opts.counter {
        check_code_like("--counter", counter)?;
    }
    let now = Utc::now();
    let expires_at = now + Duration::hours(i64::from(opts.expires_hours.max(1)));
    let code = secret::new_code().context("no randomness for the enrollment code")?;
    let new = NewTerminal {
        commune_code: opts.commune,
        name: opts.name.trim().to_owned(),
        counter_id: opts.counter,
        code_hash: secret::code_hash(&code),
        expires_at,
    };
    let terminal = store.add_terminal(new, now).await?;
    Ok(render_code(&terminal, &code, expires_at, json))
}

/// `terminal code ID`: a fresh enrollment code for an existing terminal (replacement PC,
/// lost enrollment reply). Enrolling with it replaces the terminal's token.
pub async fn new_code<S: Store>(
    store: &S,
    terminal_id: &str,
    expires_hours: u32,
    json: bool,
) -> anyhow::Result<String> {
    let now = Utc::now();
    let expires_at = now + Duration::hours(i64::from(expires_hours.max(1)));
    let code = secret::new_code().context("no randomness for the enrollment code")?;
    let terminal = store
        .add_code(
            terminal_id.to_owned(),
            secret::code_hash(&code),
            expires_at,
            now,
        )
        .await?
        .with_context(|| format!("no active terminal `{terminal_id}` (see `terminal list`)"))?;
    Ok(render_code(&terminal, &code, expires_at, json))
}

fn render_code(terminal: &Terminal, code: &str, expires_at: DateTime<Utc>, json: bool) -> String {
    let shown = secret::display_code(code);
    let expires = expires_at.to_rfc3339_opts(SecondsFormat::Secs, true);
    let qr = qr_text(&shown);
    if json {
        // Keep stdout pure JSON; a person at a terminal still gets the QR code on stderr.
        if std::io::stdout().is_terminal() {
            eprintln!("{qr}");
        }
        return format!(
            "{}\n",
            json!({
                "code": shown,
                "terminal_id": terminal.id,
                "commune_code": terminal.commune_code,
                "name": terminal.name,
                "counter_id": terminal.counter_id,
                "expires_at": expires,
            })
        );
    }
    let counter = terminal
        .counter_id
        .as_deref()
        .map(|c| format!(", counter {c}"))
        .unwrap_or_default();
    format!(
        "Terminal {id} \"{name}\" (commune {commune}{counter})\n\n\
         Enrollment code: {shown}\n\
         Single use, expires {expires}.\n\
         On the kiosk: hailong provision --server https://SERVER --code {shown}\n\n{qr}\n",
        id = terminal.id,
        name = terminal.name,
        commune = terminal.commune_code,
    )
}

/// The code as a QR code drawn with Unicode half blocks (scannable from the screen).
fn qr_text(data: &str) -> String {
    match QrCode::new(data.as_bytes()) {
        Ok(code) => code
            .render::<Dense1x2>()
            .dark_color(Dense1x2::Light)
            .light_color(Dense1x2::Dark)
            .quiet_zone(true)
            .build(),
        Err(e) => format!("(no QR code: {e})"),
    }
}

/// `terminal list`.
pub async fn list_terminals<S: Store>(store: &S, json: bool) -> anyhow::Result<String> {
    let rows = store.list_terminals().await?;
    if json {
        return Ok(format!("{}\n", serde_json::to_string_pretty(&rows)?));
    }
    Ok(render_table(&rows, Utc::now()))
}

fn render_table(rows: &[TerminalRow], now: DateTime<Utc>) -> String {
    let header = [
        "ID",
        "COMMUNE",
        "NAME",
        "COUNTER",
        "STATE",
        "LAST SEEN",
        "BACKLOG",
        "CLOCK",
        "SEQ",
        "STORED",
        "QUAR",
        "ALERTS",
        "APP",
        "CONFIG",
        "LATEST ALERT",
    ];
    let mut table: Vec<Vec<String>> = vec![header.iter().map(|s| (*s).to_owned()).collect()];
    for r in rows {
        let state = if r.revoked_at.is_some() {
            "revoked"
        } else if r.enrolled_at.is_some() {
            "active"
        } else {
            "pending"
        };
        table.push(vec![
            r.id.clone(),
            r.commune_code.clone(),
            r.name.clone(),
            r.counter_id.clone().unwrap_or_else(|| "-".into()),
            state.into(),
            r.last_seen_at
                .as_deref()
                .map_or("never".into(), |t| ago(t, now)),
            r.queue_length.map_or("-".into(), |q| q.to_string()),
            r.clock_offset_s.map_or("-".into(), clock),
            r.highest_contiguous_seq.to_string(),
            r.stored.to_string(),
            r.quarantined.to_string(),
            if r.tamper_alerts > 0 {
                format!("{}!", r.tamper_alerts)
            } else {
                "0".into()
            },
            r.app_version.clone().unwrap_or_else(|| "-".into()),
            r.config_version
                .as_deref()
                .map_or("-".into(), |v| v.chars().take(12).collect()),
            r.latest_alert.as_ref().map_or("-".into(), alert_summary),
        ]);
    }
    let widths: Vec<usize> = (0..header.len())
        .map(|c| {
            table
                .iter()
                .map(|row| row[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in &table {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        let _ = writeln!(out, "{}", line.join("  ").trim_end());
    }
    if rows.is_empty() {
        out.push_str("(no terminals; add one with `hailong-server terminal add`)\n");
    } else if rows.iter().any(|r| r.tamper_alerts > 0) {
        out.push_str(
            "\nALERTS: open tamper alerts (the ratings are stored all the same); \
             see `hailong-server terminal alerts ID`.\n",
        );
    }
    out
}

/// "edited seq 5", "gap seqs 7-9 (resolved)".
fn alert_summary(alert: &TamperAlert) -> String {
    let seqs = if alert.first_seq == alert.last_seq {
        format!("seq {}", alert.first_seq)
    } else {
        format!("seqs {}-{}", alert.first_seq, alert.last_seq)
    };
    let resolved = if alert.resolved_at.is_some() {
        " (resolved)"
    } else {
        ""
    };
    format!("{} {seqs}{resolved}", alert.kind.as_str())
}

/// `terminal alerts ID`: the terminal's tamper alerts, oldest first.
pub async fn list_alerts<S: Store>(store: &S, id: &str, json: bool) -> anyhow::Result<String> {
    let alerts = store
        .tamper_alerts(id.to_owned())
        .await?
        .with_context(|| format!("no terminal `{id}` (see `terminal list`)"))?;
    if json {
        return Ok(format!("{}\n", serde_json::to_string_pretty(&alerts)?));
    }
    if alerts.is_empty() {
        return Ok(format!(
            "Terminal {id}: no tamper alerts; its hash chain verifies as far as its ratings reached the server.\n"
        ));
    }
    let open = alerts.iter().filter(|a| a.resolved_at.is_none()).count();
    let mut out = format!(
        "Terminal {id}: {} tamper alerts, {open} open. The ratings concerned are stored all the same.\n",
        alerts.len()
    );
    for alert in &alerts {
        let _ = writeln!(
            out,
            "\n#{} {}  {}  received {}",
            alert.id,
            alert_summary(alert),
            if alert.resolved_at.is_some() {
                "resolved"
            } else {
                "OPEN"
            },
            alert.received_at
        );
        let _ = writeln!(out, "  {}", alert.detail);
        if let (Some(at), Some(how)) = (&alert.resolved_at, &alert.resolution) {
            let _ = writeln!(out, "  resolved {at}: {how}");
        }
    }
    Ok(out)
}

/// "5m ago", "3h ago", "2d ago".
fn ago(rfc3339: &str, now: DateTime<Utc>) -> String {
    let Ok(t) = DateTime::parse_from_rfc3339(rfc3339) else {
        return rfc3339.to_owned();
    };
    let secs = (now - t.with_timezone(&Utc)).num_seconds().max(0);
    match secs {
        s if s < 120 => format!("{s}s ago"),
        s if s < 7200 => format!("{}m ago", s / 60),
        s if s < 172_800 => format!("{}h ago", s / 3600),
        s => format!("{}d ago", s / 86_400),
    }
}

/// Clock offset, with "!" when it is more than an hour.
fn clock(offset_s: i64) -> String {
    let sign = if offset_s < 0 { "-" } else { "+" };
    let a = offset_s.unsigned_abs();
    let text = if a < 60 {
        format!("{sign}{a}s")
    } else if a < 3600 {
        format!("{sign}{}m", a / 60)
    } else {
        format!("{sign}{}h{:02}m", a / 3600, a % 3600 / 60)
    };
    if offset_s.abs() > hailong_protocol::CLOCK_SUSPECT_SECONDS {
        format!("{text}!")
    } else {
        text
    }
}

/// `terminal revoke ID`.
pub async fn revoke_terminal<S: Store>(store: &S, id: &str, json: bool) -> anyhow::Result<String> {
    if !store.revoke_terminal(id.to_owned(), Utc::now()).await? {
        bail!("no terminal `{id}` (see `terminal list`)");
    }
    Ok(if json {
        format!("{}\n", json!({ "revoked": id }))
    } else {
        format!("Terminal {id} revoked: its token is refused from now on.\n")
    })
}

/// `config import FILE`.
pub async fn import_config<S: Store>(
    store: &S,
    source: &str,
    json: bool,
) -> anyhow::Result<String> {
    let config = config_doc::parse(source, Utc::now())?;
    let (commune, version) = (config.commune_code.clone(), config.version.clone());
    let outcome = store.import_config(config).await?;
    Ok(if json {
        format!(
            "{}\n",
            json!({ "commune_code": commune, "version": version, "outcome": outcome })
        )
    } else {
        match outcome {
            ImportOutcome::Imported => format!(
                "Imported configuration {version} for commune {commune}; terminals pick it up at their next check.\n"
            ),
            ImportOutcome::Unchanged => {
                format!(
                    "Commune {commune} already runs configuration {version}; nothing changed.\n"
                )
            }
        }
    })
}

/// Commune and counter codes: short, no spaces (they end up in terminal ids).
fn check_code_like(flag: &str, value: &str) -> anyhow::Result<()> {
    let ok = !value.is_empty()
        && value.chars().count() <= 32
        && value
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '_' || c == '.');
    if !ok {
        bail!("{flag} must be 1-32 letters, digits, '-', '_' or '.'");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_offsets_read_at_a_glance() {
        assert_eq!(clock(5), "+5s");
        assert_eq!(clock(-125), "-2m");
        assert_eq!(clock(3 * 3600 + 120), "+3h02m!");
    }

    #[test]
    fn qr_code_is_drawn() {
        let qr = qr_text("12345-67890");
        assert!(qr.lines().count() > 10);
    }
}
