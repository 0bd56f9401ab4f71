//! The technician screen, behind the supervisor's PIN: the checks of `hailong doctor`, each
//! line ok / warn / fail with the fix in words, "run again", and "sync now" with its outcome.
//!
//! The screen does no I/O: the app runs the checks and the sync round off the UI thread and
//! hands their outcomes over; the time they were made comes in as data.

use chrono::{DateTime, FixedOffset};
use iced::widget::{button, column, container, row, scrollable, text};
use iced::{Alignment, Color, Length};

use super::{Context, page, primary};
use crate::doctor::{Finding, Status};
use crate::font;
use crate::survey::Sentiment;
use crate::sync::SyncError;
use crate::theme::{self, size, text_size};
use crate::widget::Element;

/// The outcome of "sync now".
#[derive(Debug, Clone, PartialEq)]
pub enum SyncNow {
    /// Not asked yet.
    Idle,
    /// A round is on its way.
    Running,
    /// The terminal is not linked to a server.
    NotLinked,
    /// The round finished.
    Done(Result<Synced, SyncError>),
}

/// What a "sync now" round did, in figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Synced {
    /// Ratings the server stored now, or already held.
    pub sent: u64,
    /// Ratings still waiting after the round.
    pub queued: u64,
    /// Ratings of earlier terminal ids sent to their servers now.
    pub earlier_sent: u64,
    /// Ratings of earlier terminal ids still held.
    pub earlier_held: u64,
}

/// The checks shown and the sync's outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    /// The last checks, once they have run.
    pub findings: Option<Vec<Finding>>,
    /// Checks are running.
    pub running: bool,
    /// When the checks shown were started (device time).
    pub checked_at: Option<DateTime<FixedOffset>>,
    pub sync: SyncNow,
}

/// What a technician can do here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Message {
    /// Run the checks again.
    Rerun,
    /// Start a sync round now.
    SyncNow,
    /// Back to the staff dashboard.
    Back,
}

/// What the app should do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    RunChecks,
    SyncNow,
    Back,
}

impl State {
    /// A screen whose checks are being run for the first time, started at `now`.
    pub fn new(now: DateTime<FixedOffset>) -> Self {
        Self {
            findings: None,
            running: true,
            checked_at: Some(now),
            sync: SyncNow::Idle,
        }
    }

    /// Handles a message at `now`; a second tap while a run is on its way does nothing.
    pub fn update(&mut self, message: Message, now: DateTime<FixedOffset>) -> Option<Event> {
        match message {
            Message::Back => Some(Event::Back),
            Message::Rerun if self.running => None,
            Message::Rerun => {
                self.running = true;
                self.checked_at = Some(now);
                Some(Event::RunChecks)
            }
            Message::SyncNow if self.sync == SyncNow::Running => None,
            Message::SyncNow => {
                self.sync = SyncNow::Running;
                Some(Event::SyncNow)
            }
        }
    }

    /// The checks have run.
    pub fn checked(&mut self, findings: Vec<Finding>) {
        self.findings = Some(findings);
        self.running = false;
    }

    /// The screen.
    pub fn view<'a>(&self, ctx: &Context<'_>) -> Element<'a, Message> {
        let back = button(
            container(
                text(ctx.tr("technician-back"))
                    .size(text_size::BODY)
                    .font(font::BOLD),
            )
            .center_x(Length::Fill)
            .center_y(Length::Fill),
        )
        .on_press(Message::Back)
        .width(170)
        .height(size::TOUCH_MIN)
        .style(theme::language_button(true));
        let header_extra: Element<'a, Message> = row![
            text(ctx.tr("technician-signed-in"))
                .size(text_size::BODY)
                .font(font::BOLD)
                .color(theme::PALETTE.on_accent),
            back
        ]
        .spacing(20)
        .align_y(Alignment::Center)
        .into();
        let body = column![
            self.summary(ctx),
            container(self.list(ctx)).height(Length::Fill),
            self.actions(ctx),
        ]
        .spacing(14);
        page(ctx, Some(header_extra), body.into())
    }

    fn summary<'a>(&self, ctx: &Context<'_>) -> Element<'a, Message> {
        let (line, color) = match (&self.findings, self.running) {
            (_, true) | (None, _) => (ctx.tr("technician-running"), theme::PALETTE.text),
            (Some(findings), false) => {
                let count = |s| findings.iter().filter(|f| f.status == s).count();
                let (fail, warn) = (count(Status::Fail), count(Status::Warn));
                if fail > 0 {
                    let words = ctx.tr_args(
                        "technician-summary-fail",
                        &[("fail", fail.to_string()), ("warn", warn.to_string())],
                    );
                    (words, theme::PALETTE.alert)
                } else if warn > 0 {
                    let words =
                        ctx.tr_args("technician-summary-warn", &[("warn", warn.to_string())]);
                    (words, theme::PALETTE.text)
                } else {
                    (ctx.tr("technician-summary-ok"), ok_color())
                }
            }
        };
        let when = self.checked_at.map_or_else(String::new, |at| {
            ctx.tr_args(
                "technician-checked-at",
                &[("time", at.format("%H:%M %d/%m/%Y").to_string())],
            )
        });
        row![
            column![
                text(ctx.tr("technician-title"))
                    .size(text_size::TITLE)
                    .font(font::BOLD),
                text(when)
                    .size(text_size::SMALL)
                    .color(theme::PALETTE.muted),
            ]
            .spacing(2)
            .width(Length::Fill),
            text(line)
                .size(text_size::ANSWER)
                .font(font::BOLD)
                .color(color),
        ]
        .spacing(size::GAP)
        .align_y(Alignment::Center)
        .into()
    }

    fn list<'a>(&self, ctx: &Context<'_>) -> Element<'a, Message> {
        let Some(findings) = &self.findings else {
            return container(text(ctx.tr("technician-running")).size(text_size::ANSWER))
                .center(Length::Fill)
                .into();
        };
        let mut lines = column![].spacing(10).padding(iced::Padding {
            right: 18.0,
            ..iced::Padding::ZERO
        });
        // Problems first, so that they are seen without scrolling; the order of the checks
        // (DNS before TCP before TLS) holds within each status.
        let mut shown: Vec<&Finding> = findings.iter().collect();
        shown.sort_by_key(|f| std::cmp::Reverse(f.status));
        for finding in shown {
            lines = lines.push(line(ctx, finding));
        }
        scrollable(lines).height(Length::Fill).into()
    }

    fn actions<'a>(&self, ctx: &Context<'_>) -> Element<'a, Message> {
        let (outcome, detail) = match &self.sync {
            SyncNow::Idle => (String::new(), None),
            SyncNow::Running => (ctx.tr("technician-sync-running"), None),
            SyncNow::NotLinked => (ctx.tr("sync-not-linked"), None),
            SyncNow::Done(Ok(synced)) => {
                let mut words = ctx.tr_args(
                    "technician-sync-done",
                    &[
                        ("sent", synced.sent.to_string()),
                        ("queued", synced.queued.to_string()),
                    ],
                );
                if synced.earlier_sent > 0 || synced.earlier_held > 0 {
                    words.push(' ');
                    words.push_str(&ctx.tr_args(
                        "technician-sync-earlier",
                        &[
                            ("sent", synced.earlier_sent.to_string()),
                            ("held", synced.earlier_held.to_string()),
                        ],
                    ));
                }
                (words, None)
            }
            SyncNow::Done(Err(error)) => (
                ctx.tr_args(
                    "technician-sync-failed",
                    &[("reason", ctx.tr(sync_error_key(error)))],
                ),
                Some(innermost(&error.to_string())),
            ),
        };
        let failed = matches!(self.sync, SyncNow::Done(Err(_)));
        let mut words =
            column![
                text(outcome)
                    .size(text_size::BODY)
                    .font(font::BOLD)
                    .color(if failed {
                        theme::PALETTE.alert
                    } else {
                        theme::PALETTE.text
                    })
            ]
            .spacing(2)
            .width(Length::Fill);
        if let Some(detail) = detail {
            words = words.push(
                text(detail)
                    .size(text_size::SMALL)
                    .color(theme::PALETTE.muted),
            );
        }
        row![
            primary(ctx, ctx.tr("technician-rerun"), Message::Rerun),
            primary(ctx, ctx.tr("technician-sync-now"), Message::SyncNow),
            words,
        ]
        .spacing(size::GAP)
        .align_y(Alignment::Center)
        .into()
    }
}

/// The most specific causes of an error chain ("a: b: c: d" gives "c: d"): what a technician
/// can act on, short enough to stay on one or two lines beside the buttons.
fn innermost(chain: &str) -> String {
    let parts: Vec<&str> = chain.split(": ").collect();
    parts[parts.len().saturating_sub(2)..].join(": ")
}

/// One check: its status in a word on a coloured badge, its name and what was found, and the
/// fix when there is one.
fn line<'a>(ctx: &Context<'_>, finding: &Finding) -> Element<'a, Message> {
    let (badge_key, badge_color) = match finding.status {
        Status::Ok => ("technician-status-ok", ok_color()),
        Status::Warn => ("technician-status-warn", theme::PALETTE.warning),
        Status::Fail => ("technician-status-fail", theme::PALETTE.alert),
    };
    let on_badge = if finding.status == Status::Warn {
        theme::PALETTE.on_warning
    } else {
        theme::PALETTE.on_alert
    };
    let badge = container(
        text(ctx.tr(badge_key))
            .size(text_size::BODY)
            .font(font::BOLD)
            .color(on_badge),
    )
    .center_x(120)
    .padding([6.0, 0.0])
    .style(move |_: &iced::Theme| container::Style {
        background: Some(badge_color.into()),
        border: iced::Border {
            radius: 8.0.into(),
            ..iced::Border::default()
        },
        ..container::Style::default()
    });
    let detail = finding.detail.render(ctx.i18n, ctx.language);
    let mut words = column![
        row![
            text(ctx.tr(finding.name_key()))
                .size(text_size::BODY)
                .font(font::BOLD)
                .width(260),
            text(detail).size(text_size::SMALL).width(Length::Fill),
        ]
        .spacing(12)
    ]
    .spacing(4);
    if let Some(fix) = &finding.fix {
        words = words.push(
            text(ctx.tr_args(
                "technician-fix",
                &[("fix", fix.render(ctx.i18n, ctx.language))],
            ))
            .size(text_size::BODY)
            .font(font::BOLD),
        );
    }
    let tint = match finding.status {
        Status::Ok => None,
        Status::Warn => Some(theme::level_colors(Sentiment::Neutral).tint),
        Status::Fail => Some(theme::level_colors(Sentiment::VeryUnsatisfied).tint),
    };
    container(row![badge, words].spacing(16).align_y(Alignment::Start))
        .padding([10.0, 14.0])
        .width(Length::Fill)
        .style(move |t: &iced::Theme| {
            let mut style = theme::card(t);
            if let Some(tint) = tint {
                style.background = Some(tint.into());
            }
            style
        })
        .into()
}

fn ok_color() -> Color {
    theme::level_colors(Sentiment::VerySatisfied).strong
}

/// The words for why a sync round failed.
pub fn sync_error_key(error: &SyncError) -> &'static str {
    match error {
        SyncError::Network(_) => "technician-sync-error-network",
        SyncError::Tls(_) => "technician-sync-error-tls",
        SyncError::RateLimited { .. } | SyncError::Server { .. } => "technician-sync-error-busy",
        SyncError::Refused { .. } => "technician-sync-error-refused",
        SyncError::Protocol { .. } => "technician-sync-error-protocol",
        SyncError::Store(_) => "technician-sync-error-store",
        SyncError::Settings(_) => "technician-sync-error-settings",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at() -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339("2026-11-23T09:00:00+07:00").expect("time")
    }

    #[test]
    fn a_failed_round_shows_its_innermost_causes() {
        assert_eq!(
            innermost(
                "cannot reach the server: error sending request: client error (Connect): tcp connect error: Connection refused (os error 111)"
            ),
            "tcp connect error: Connection refused (os error 111)"
        );
        assert_eq!(innermost("down"), "down");
    }

    #[test]
    fn a_second_tap_while_running_does_nothing() {
        let mut state = State::new(at());
        assert_eq!(state.update(Message::Rerun, at()), None);
        state.checked(Vec::new());
        assert_eq!(state.update(Message::Rerun, at()), Some(Event::RunChecks));
        assert_eq!(state.update(Message::SyncNow, at()), Some(Event::SyncNow));
        assert_eq!(state.update(Message::SyncNow, at()), None);
        assert_eq!(state.update(Message::Back, at()), Some(Event::Back));
    }
}
