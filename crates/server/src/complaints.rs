//! The complaints (phản ánh, kiến nghị) received, for the province's call-back team: when,
//! where, about whom and what the citizen wrote, and (only when asked for) the number to call
//! back with the version of the consent text the citizen agreed to.
//!
//! The call-back number is PERSONAL DATA (Law 91/2025/QH15, Decree 356/2025/NĐ-CP): the
//! terminal erases it once this server holds the rating, so this list is the one place it is
//! read. It is left out unless `with_phone` is set, never logged (a log line says that numbers
//! were listed, and how many), and the reports of [`crate::report`] never carry it.
//!
//! Once the call-backs are done the numbers are erased (`hailong-server erase-call-back-numbers
//! --received-before D`): the stored rating keeps `"phone": "erased-sha256:<digest>"`, the
//! digest the hash chain covers (`hailong_protocol::chain::phone_digest`), so the chain still
//! verifies ([`crate::tamper`]) and nothing else of the rating changes.

use chrono::{DateTime, FixedOffset, NaiveDate, Offset as _};
use hailong_protocol::Rating;
use serde::Serialize;

use crate::report::{Directory, ReportError, ReportQuery};
use crate::store::Store;

/// One complaint as stored: the rating, which terminal sent it and when it arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldComplaint {
    pub terminal_id: String,
    /// Server receive time, ms since the epoch.
    pub received_at_ms: i64,
    pub rating: Rating,
}

/// Which complaints to list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComplaintQuery {
    /// First receive day, inclusive (UTC+07:00).
    pub from: NaiveDate,
    /// Last receive day, inclusive.
    pub to: NaiveDate,
    /// Only this commune.
    pub commune: Option<String>,
    /// List the call-back numbers (personal data).
    pub with_phone: bool,
}

impl ComplaintQuery {
    /// The same checks and receive-time scope as a report's.
    fn report_query(&self) -> ReportQuery {
        ReportQuery {
            from: self.from,
            to: self.to,
            by: crate::report::GroupBy::Commune,
            commune: self.commune.clone(),
            include_flagged: true,
        }
    }
}

/// One line of the list, named after the commune's configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ComplaintLine {
    /// Receive time, RFC 3339 in Vietnam time.
    pub received_at: String,
    pub commune_code: String,
    pub commune: Option<String>,
    pub counter: Option<String>,
    pub staff: Option<String>,
    pub field: Option<String>,
    pub dossier_code: Option<String>,
    /// Level chosen and levels of the scale, e.g. "1/3".
    pub level: String,
    pub comment: Option<String>,
    pub terminal_id: String,
    pub seq: u64,
    pub rating_id: String,
    /// Only with `with_phone`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Only with `with_phone`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consent_version: Option<String>,
}

/// Reads the complaints of `query`, oldest first, and names them.
pub async fn list<S: Store>(
    store: &S,
    query: &ComplaintQuery,
) -> Result<Vec<ComplaintLine>, ReportError> {
    let report_query = query.report_query();
    report_query.check()?;
    let directory = Directory::from_configs(&store.current_configs().await?);
    let held = store.complaints(report_query.scope()).await?;
    let lines: Vec<ComplaintLine> = held
        .iter()
        .map(|h| line(h, &directory, query.with_phone))
        .collect();
    if query.with_phone {
        let numbers = lines.iter().filter(|l| l.phone.is_some()).count();
        tracing::info!(
            numbers,
            from = %query.from,
            to = %query.to,
            "call-back numbers listed (personal data)"
        );
    }
    Ok(lines)
}

fn line(held: &HeldComplaint, directory: &Directory, with_phone: bool) -> ComplaintLine {
    let r = &held.rating;
    let info = directory.commune(&r.commune_code);
    let vietnam = FixedOffset::east_opt(7 * 3600).unwrap_or(chrono::Utc.fix());
    let received_at = DateTime::from_timestamp_millis(held.received_at_ms)
        .map(|t| t.with_timezone(&vietnam).to_rfc3339())
        .unwrap_or_default();
    let named = |id: &Option<String>, name: &dyn Fn(&str) -> Option<String>| {
        id.as_deref()
            .map(|id| name(id).unwrap_or_else(|| id.to_owned()))
    };
    let callback = r.callback.as_ref().filter(|_| with_phone);
    // An erased number is not a number any more: say so rather than print the marker.
    let phone = callback.map(|c| {
        if c.phone.starts_with(ERASED_PHONE_PREFIX) {
            ERASED_SHOWN.to_owned()
        } else {
            c.phone.clone()
        }
    });
    ComplaintLine {
        received_at,
        commune_code: r.commune_code.clone(),
        commune: info.map(|i| i.name.clone()),
        counter: named(&r.counter_id, &|id| info.and_then(|i| i.counter_name(id))),
        staff: named(&r.staff_id, &|id| info.and_then(|i| i.staff_name(id))),
        field: named(&r.field_id, &|id| directory.field_name(id)),
        dossier_code: r.dossier_code.clone(),
        level: format!("{}/{}", r.level, r.level_count),
        comment: r.comment.clone(),
        terminal_id: held.terminal_id.clone(),
        seq: r.seq,
        rating_id: r.id.to_string(),
        phone,
        consent_version: callback.map(|c| c.consent_version.clone()),
    }
}

/// How an erased number shows in the list.
const ERASED_SHOWN: &str = "(đã xóa)";

/// Vietnamese headings of the CSV, in column order.
const HEADINGS: [&str; 12] = [
    "Thời gian nhận",
    "Mã xã/phường",
    "Xã/phường",
    "Quầy",
    "Cán bộ",
    "Lĩnh vực",
    "Mã hồ sơ",
    "Mức",
    "Góp ý, phản ánh",
    "Máy đánh giá",
    "Số thứ tự",
    "Mã đánh giá",
];
const PHONE_HEADINGS: [&str; 2] = ["Số điện thoại gọi lại", "Phiên bản nội dung đồng ý"];

/// The list as CSV (UTF-8 with BOM, for Excel); the call-back columns only with `with_phone`.
pub fn to_csv(lines: &[ComplaintLine], with_phone: bool) -> Result<Vec<u8>, ReportError> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut writer = csv::Writer::from_writer(&mut out);
        let write = |e: csv::Error| ReportError::Write(e.to_string());
        let mut headings: Vec<&str> = HEADINGS.to_vec();
        if with_phone {
            headings.extend(PHONE_HEADINGS);
        }
        writer.write_record(&headings).map_err(write)?;
        for l in lines {
            let text = |v: &Option<String>| v.clone().unwrap_or_default();
            let mut record = vec![
                l.received_at.clone(),
                l.commune_code.clone(),
                text(&l.commune),
                text(&l.counter),
                text(&l.staff),
                text(&l.field),
                text(&l.dossier_code),
                l.level.clone(),
                text(&l.comment),
                l.terminal_id.clone(),
                l.seq.to_string(),
                l.rating_id.clone(),
            ];
            if with_phone {
                record.push(text(&l.phone));
                record.push(text(&l.consent_version));
            }
            writer.write_record(&record).map_err(write)?;
        }
        writer
            .flush()
            .map_err(|e| ReportError::Write(e.to_string()))?;
    }
    Ok(out)
}

/// The list as JSON.
pub fn to_json(lines: &[ComplaintLine]) -> Result<Vec<u8>, ReportError> {
    let mut out =
        serde_json::to_vec_pretty(lines).map_err(|e| ReportError::Write(e.to_string()))?;
    out.push(b'\n');
    Ok(out)
}

/// What an erased call-back number is replaced with, followed by the number's digest.
pub const ERASED_PHONE_PREFIX: &str = "erased-sha256:";

/// The stored content (canonical JSON of a rating) with its call-back number replaced by the
/// erased marker; `None` when it has no number to erase (none, or already erased) or does not
/// parse.
pub fn erase_number(content: &str) -> Option<String> {
    let mut value: serde_json::Value = serde_json::from_str(content).ok()?;
    let phone = value.get_mut("callback")?.get_mut("phone")?;
    let number = phone.as_str()?;
    if number.starts_with(ERASED_PHONE_PREFIX) {
        return None;
    }
    let digest = hailong_protocol::chain::phone_digest(number);
    *phone = serde_json::Value::String(format!("{ERASED_PHONE_PREFIX}{digest}"));
    serde_json::to_string(&value).ok()
}

/// The chain hash of a stored rating's content, whether its call-back number is still there or
/// erased (then the chain covers the digest the marker keeps).
pub fn stored_rating_hash(rating: &Rating) -> String {
    match rating
        .callback
        .as_ref()
        .and_then(|c| c.phone.strip_prefix(ERASED_PHONE_PREFIX))
    {
        Some(digest) => {
            hailong_protocol::chain::rating_hash_with_phone_digest(rating, Some(digest))
        }
        None => hailong_protocol::chain::rating_hash(rating),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hailong_protocol::{Callback, SealCause, Stage};

    fn complaint() -> Rating {
        let mut rating = Rating {
            id: uuid::Uuid::now_v7(),
            seq: 1,
            terminal_id: "t".into(),
            commune_code: "26734".into(),
            counter_id: None,
            staff_id: None,
            field_id: None,
            dossier_code: None,
            stage: Stage::Return,
            question_set_id: "quick".into(),
            question_set_version: 1,
            level: 1,
            level_count: 3,
            answers: vec![],
            reasons: vec![],
            language: "vi".into(),
            device_time: "2026-11-23T09:00:00+07:00".into(),
            sealed_at: "2026-11-23T09:00:20+07:00".into(),
            seal_cause: SealCause::Completed,
            flags: vec![],
            prev_hash: String::new(),
            hash: String::new(),
            comment: Some("Chờ lâu".into()),
            complaint: true,
            callback: Some(Callback {
                phone: "0912345678".into(),
                consent_version: "pakn-2026-01:vi".into(),
            }),
        };
        rating.link(hailong_protocol::chain::genesis("t"));
        rating
    }

    #[test]
    fn an_erased_number_keeps_the_chain_hash() {
        let rating = complaint();
        let content = serde_json::to_string(&rating).unwrap();
        let erased = erase_number(&content).expect("a number to erase");
        assert!(!erased.contains("0912345678"));
        let stored: Rating = serde_json::from_str(&erased).unwrap();
        assert_eq!(stored_rating_hash(&stored), rating.hash);
        assert_ne!(
            hailong_protocol::chain::rating_hash(&stored),
            rating.hash,
            "read as a number, the marker would not verify"
        );
        assert_eq!(erase_number(&erased), None, "erased once");
        let mut plain = rating;
        plain.callback = None;
        assert_eq!(erase_number(&serde_json::to_string(&plain).unwrap()), None);
        assert_eq!(
            stored_rating_hash(&plain),
            hailong_protocol::chain::rating_hash(&plain)
        );
    }
}
