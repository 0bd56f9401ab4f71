//! The staff dashboard: today's (or any day's, or the last 7 / 30 days') tallies with charts,
//! the shift at this counter, the sync in plain words, and the export to a USB stick staff
//! choose. Staff see aggregates only; the supervisor also sees the range's individual ratings
//! (never a call-back number) and may export the personal columns.

use std::path::PathBuf;

use chrono::{Days, NaiveDate};
use iced::widget::{button, column, container, row, scrollable, text};
use iced::{Alignment, Length};

use super::{Context, page};
use crate::export::Format;
use crate::font;
use crate::staff::Role;
use crate::store::tally::{Individuals, Tally};
use crate::survey::Sentiment;
use crate::theme::{self, size, text_size};
use crate::widget::Element;
use crate::widget::chart;

/// How many individual ratings the supervisor's list shows; the rest are counted.
pub const ANSWERS_SHOWN: usize = 50;

/// The days shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Range {
    /// One day.
    Day(NaiveDate),
    /// The last N days up to today.
    Last(u64),
}

impl Range {
    /// (first, last) day, given today.
    pub fn days(self, today: NaiveDate) -> (NaiveDate, NaiveDate) {
        match self {
            Self::Day(day) => (day, day),
            Self::Last(n) => (
                today
                    .checked_sub_days(Days::new(n.saturating_sub(1)))
                    .unwrap_or(today),
                today,
            ),
        }
    }
}

/// The dashboard's own state.
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    /// Who is signed in.
    pub role: Role,
    pub range: Range,
    /// The tally of `range`, once computed.
    pub tally: Option<Tally>,
    /// The outcome of the last export or shift change, in words.
    pub notice: Option<String>,
    /// Today by the device clock, given by the app.
    pub today: NaiveDate,
    /// Count suspected repeats too (left out by default).
    pub include_flagged: bool,
    /// USB sticks found at sign-in or by the last rescan; `None` while looking.
    pub sticks: Option<Vec<PathBuf>>,
    /// The stick exports go to; `None`: the terminal's own exports folder.
    pub chosen: Option<PathBuf>,
    /// Supervisor only: exports carry the call-back numbers and consent versions.
    pub include_personal: bool,
    /// Supervisor only: the range's individual ratings, newest first, once read.
    pub answers: Option<Individuals>,
}

/// An export as staff asked for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportJob {
    pub format: Format,
    pub range: Range,
    pub include_flagged: bool,
    /// With the personal columns (only ever true for the supervisor).
    pub include_personal: bool,
    /// The stick chosen; `None`: the terminal's exports folder.
    pub stick: Option<PathBuf>,
}

/// What staff can do here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    Range(Range),
    PreviousDay,
    NextDay,
    StartShift,
    EndShift,
    Export(Format),
    /// Count suspected repeats in the figures, or leave them out.
    ToggleFlagged,
    /// Export to this stick.
    ChooseStick(PathBuf),
    /// Look for USB sticks again.
    RescanUsb,
    /// Supervisor only: put the call-back numbers in exports, or leave them out.
    TogglePersonal,
    /// Open the technician screen (supervisor only).
    Technician,
    SignOut,
}

/// What the app should do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Compute the tally of these days (with or without suspected repeats).
    Load(Range, bool),
    StartShift,
    EndShift,
    Export(ExportJob),
    /// Look for USB sticks (off the UI thread).
    RescanUsb,
    /// Open the technician screen.
    Technician,
    SignOut,
}

/// What the dashboard shows besides the tally, gathered by the app.
#[derive(Debug, Clone)]
pub struct Facts {
    /// The signed-in person's name.
    pub who: String,
    /// "Quầy số 1: Nguyễn Thị Lan đang trực", or nobody.
    pub duty: String,
    /// Whether the signed-in staff member is the one on duty here.
    pub on_duty_here: bool,
    /// The sync in plain words, one line each.
    pub sync: Vec<String>,
}

impl State {
    /// A fresh dashboard on today.
    pub fn new(role: Role, today: NaiveDate) -> Self {
        Self {
            role,
            range: Range::Day(today),
            tally: None,
            notice: None,
            today,
            include_flagged: false,
            sticks: None,
            chosen: None,
            include_personal: false,
            answers: None,
        }
    }

    /// The sticks found: the one chosen stays chosen while it is there, else the first.
    pub fn sticks_found(&mut self, sticks: Vec<PathBuf>) {
        if !self.chosen.as_ref().is_some_and(|c| sticks.contains(c)) {
            self.chosen = sticks.first().cloned();
        }
        self.sticks = Some(sticks);
    }

    /// Handles a message.
    pub fn update(&mut self, message: Message, today: NaiveDate) -> Option<Event> {
        self.today = today;
        let range = match message {
            Message::Range(range) => range,
            Message::PreviousDay => {
                let (first, _) = self.range.days(today);
                Range::Day(first.pred_opt().unwrap_or(first))
            }
            Message::NextDay => {
                let (_, last) = self.range.days(today);
                Range::Day(last.succ_opt().unwrap_or(last).min(today))
            }
            Message::StartShift => return Some(Event::StartShift),
            Message::EndShift => return Some(Event::EndShift),
            Message::Export(format) => {
                return Some(Event::Export(ExportJob {
                    format,
                    range: self.range,
                    include_flagged: self.include_flagged,
                    include_personal: self.include_personal && self.role.is_supervisor(),
                    stick: self.chosen.clone(),
                }));
            }
            Message::ChooseStick(path) => {
                if self.sticks.as_ref().is_some_and(|s| s.contains(&path)) {
                    self.chosen = Some(path);
                }
                return None;
            }
            Message::RescanUsb => {
                self.sticks = None;
                return Some(Event::RescanUsb);
            }
            Message::TogglePersonal => {
                self.include_personal = !self.include_personal && self.role.is_supervisor();
                return None;
            }
            Message::SignOut => return Some(Event::SignOut),
            Message::Technician => {
                return (self.role == Role::Supervisor).then_some(Event::Technician);
            }
            Message::ToggleFlagged => {
                self.include_flagged = !self.include_flagged;
                self.range
            }
        };
        self.range = range;
        self.tally = None;
        self.answers = None;
        Some(Event::Load(range, self.include_flagged))
    }

    /// The dashboard.
    pub fn view<'a>(&self, ctx: &Context<'_>, facts: &Facts) -> Element<'a, Message> {
        let signed_in = text(ctx.tr_args("staff-signed-in", &[("name", facts.who.clone())]))
            .size(text_size::BODY)
            .font(font::BOLD)
            .color(theme::PALETTE.on_accent);
        let sign_out = button(
            container(
                text(ctx.tr("action-sign-out"))
                    .size(text_size::BODY)
                    .font(font::BOLD),
            )
            .center_x(Length::Fill)
            .center_y(Length::Fill),
        )
        .on_press(Message::SignOut)
        .width(150)
        .height(size::TOUCH_MIN)
        .style(theme::language_button(true));
        let mut header_extra = row![signed_in].spacing(20).align_y(Alignment::Center);
        // Diagnostics and "sync now" are the supervisor's, never an ordinary staff member's.
        if self.role == Role::Supervisor {
            header_extra = header_extra.push(
                button(
                    container(
                        text(ctx.tr("technician-open"))
                            .size(text_size::BODY)
                            .font(font::BOLD),
                    )
                    .center_x(Length::Fill)
                    .center_y(Length::Fill),
                )
                .on_press(Message::Technician)
                .width(150)
                .height(size::TOUCH_MIN)
                .style(theme::language_button(true)),
            );
        }
        let header_extra: Element<'a, Message> = header_extra.push(sign_out).into();
        let body = column![
            self.range_bar(ctx, self.today),
            self.figures(ctx),
            row![
                column![self.levels(ctx), self.charts(ctx, self.today)]
                    .spacing(12)
                    .width(Length::Fill),
                self.side(ctx, facts),
            ]
            .spacing(12),
            self.groups(ctx),
        ]
        .spacing(12);
        // Individual answers are the supervisor's only.
        let body = if self.role.is_supervisor() {
            body.push(self.answers(ctx))
        } else {
            body
        };
        page(
            ctx,
            Some(header_extra),
            scrollable(body).height(Length::Fill).into(),
        )
    }

    fn range_bar<'a>(&self, ctx: &Context<'_>, today: NaiveDate) -> Element<'a, Message> {
        let choice = |label: String, range: Range| -> Element<'a, Message> {
            let active = self.range == range;
            small_button(label, Message::Range(range), active)
        };
        let (first, last) = self.range.days(today);
        let shown = if first == last {
            ctx.tr_args(
                "range-day",
                &[("date", first.format("%d/%m/%Y").to_string())],
            )
        } else {
            ctx.tr_args(
                "range-span",
                &[
                    ("from", first.format("%d/%m/%Y").to_string()),
                    ("to", last.format("%d/%m/%Y").to_string()),
                ],
            )
        };
        row![
            choice(ctx.tr("range-today"), Range::Day(today)),
            choice(ctx.tr("range-7-days"), Range::Last(7)),
            choice(ctx.tr("range-30-days"), Range::Last(30)),
            small_button(ctx.tr("range-previous"), Message::PreviousDay, false),
            small_button(ctx.tr("range-next"), Message::NextDay, false),
            small_button(
                ctx.tr("range-with-repeats"),
                Message::ToggleFlagged,
                self.include_flagged
            ),
            text(shown).size(text_size::BODY).font(font::BOLD),
        ]
        .spacing(8)
        .align_y(Alignment::Center)
        .into()
    }

    fn figures<'a>(&self, ctx: &Context<'_>) -> Element<'a, Message> {
        let none = ctx.tr("kpi-none");
        let percent = |share: Option<f64>| {
            share.map_or_else(|| none.clone(), |s| format!("{:.1}%", s * 100.0))
        };
        let (total, sipas, rate, complaints, flagged) = match &self.tally {
            Some(tally) => (
                tally.all.total.to_string(),
                percent(tally.all.sipas_share()),
                percent(tally.all.rate_766()),
                tally.complaints.to_string(),
                tally.flagged.to_string(),
            ),
            None => (
                none.clone(),
                none.clone(),
                none.clone(),
                none.clone(),
                none.clone(),
            ),
        };
        let card = |label: String, value: String| -> Element<'a, Message> {
            container(
                column![
                    text(label).size(text_size::SMALL).style(theme::muted_text),
                    text(value).size(text_size::COMMUNE).font(font::BOLD),
                ]
                .spacing(2),
            )
            .padding([8.0, 16.0])
            .width(Length::Fill)
            .style(theme::card)
            .into()
        };
        row![
            card(ctx.tr("kpi-total"), total),
            card(ctx.tr("kpi-sipas"), sipas),
            card(ctx.tr("kpi-766"), rate),
            card(ctx.tr("kpi-complaints"), complaints),
            card(ctx.tr("kpi-flagged"), flagged),
        ]
        .spacing(12)
        .into()
    }

    /// Counts per level, a small face beside each.
    fn levels<'a>(&self, ctx: &Context<'_>) -> Element<'a, Message> {
        let mut levels = row![].spacing(8);
        if let Some(tally) = &self.tally {
            let scale = crate::survey::scale(ctx.config.active_question_set().levels);
            for sentiment in [
                Sentiment::VerySatisfied,
                Sentiment::Satisfied,
                Sentiment::Neutral,
                Sentiment::Unsatisfied,
                Sentiment::VeryUnsatisfied,
            ] {
                let n = tally.all.by_sentiment[sentiment_index(sentiment)];
                // The levels of the set in use, and any other level that has ratings.
                if n == 0 && !scale.contains(&sentiment) {
                    continue;
                }
                levels = levels.push(
                    container(
                        row![
                            crate::widget::face::face(sentiment, 28.0),
                            text(format!("{} {n}", ctx.tr(sentiment.label_key())))
                                .size(text_size::SMALL),
                        ]
                        .spacing(6)
                        .align_y(Alignment::Center),
                    )
                    .padding([4.0, 8.0])
                    .style(theme::card),
                );
            }
        }
        levels.into()
    }

    fn charts<'a>(&self, ctx: &Context<'_>, today: NaiveDate) -> Element<'a, Message> {
        let Some(tally) = &self.tally else {
            return text(ctx.tr("chart-loading")).size(text_size::BODY).into();
        };
        let (first, last) = self.range.days(today);
        let (title, over_time) = if first == last {
            (
                ctx.tr("chart-hourly"),
                chart::hourly(&tally.per_hour, 7, 17),
            )
        } else {
            let days = tally
                .per_day
                .iter()
                .map(|(day, n, satisfied)| {
                    let share = (*n > 0).then(|| *satisfied as f64 / *n as f64);
                    (day.format("%d/%m").to_string(), share)
                })
                .collect();
            (ctx.tr("chart-daily"), chart::daily_share(days))
        };
        let mut reasons: Vec<(String, u64)> = tally
            .reasons
            .iter()
            .map(|(id, n)| (reason_text(ctx, id), *n))
            .collect();
        reasons.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        reasons.truncate(8);
        let reasons_chart: Element<'a, Message> = if reasons.is_empty() {
            text(ctx.tr("chart-no-reasons"))
                .size(text_size::BODY)
                .style(theme::muted_text)
                .into()
        } else {
            chart::bars(reasons)
        };
        let panel = |title: String, chart: Element<'a, Message>| -> Element<'a, Message> {
            container(
                column![
                    text(title).size(text_size::BODY).font(font::BOLD),
                    container(chart).height(190),
                ]
                .spacing(8),
            )
            .padding(12)
            .width(Length::Fill)
            .style(theme::card)
            .into()
        };
        row![
            panel(title, over_time),
            panel(ctx.tr("chart-reasons"), reasons_chart)
        ]
        .spacing(12)
        .into()
    }

    /// The figures per counter, staff member and field (below the charts; the page scrolls).
    fn groups<'a>(&self, ctx: &Context<'_>) -> Element<'a, Message> {
        let Some(tally) = &self.tally else {
            return column![].into();
        };
        let none = ctx.tr("kpi-none");
        let percent = |share: Option<f64>| {
            share.map_or_else(|| none.clone(), |s| format!("{:.1}%", s * 100.0))
        };
        let cell = |content: String, width: Length, bold: bool| -> Element<'a, Message> {
            container(text(content).size(text_size::SMALL).font(if bold {
                font::BOLD
            } else {
                font::REGULAR
            }))
            .width(width)
            .into()
        };
        let line = |group: String,
                    name: String,
                    total: String,
                    sipas: String,
                    rate: String,
                    bold: bool| {
            row![
                cell(group, Length::Fixed(150.0), bold),
                cell(name, Length::Fill, bold),
                cell(total, Length::Fixed(190.0), bold),
                cell(sipas, Length::Fixed(230.0), bold),
                cell(rate, Length::Fixed(230.0), bold),
            ]
            .spacing(8)
        };
        let mut table = column![line(
            String::new(),
            ctx.tr("export-heading-name"),
            ctx.tr("export-heading-total"),
            ctx.tr("export-heading-sipas"),
            ctx.tr("export-heading-rate-766"),
            true,
        )]
        .spacing(6);
        let unnamed = ctx.tr("export-group-none");
        let groups = [
            ("export-group-counter", &tally.by_counter),
            ("export-group-staff", &tally.by_staff),
            ("export-group-field", &tally.by_field),
        ];
        for (key, map) in groups {
            for (id, figures) in map {
                let name = match key {
                    "export-group-counter" => ctx
                        .config
                        .counter(id)
                        .map(|c| c.name.get(ctx.language).to_owned()),
                    "export-group-staff" => ctx.config.staff_member(id).map(|s| s.name.clone()),
                    _ => ctx
                        .config
                        .fields
                        .iter()
                        .find(|f| &f.id == id)
                        .map(|f| f.name.get(ctx.language).to_owned()),
                }
                .unwrap_or_else(|| {
                    if id.is_empty() {
                        unnamed.clone()
                    } else {
                        id.clone()
                    }
                });
                table = table.push(line(
                    ctx.tr(key),
                    name,
                    figures.total.to_string(),
                    percent(figures.sipas_share()),
                    percent(figures.rate_766()),
                    false,
                ));
            }
        }
        container(table)
            .padding(12)
            .width(Length::Fill)
            .style(theme::card)
            .into()
    }

    fn side<'a>(&self, ctx: &Context<'_>, facts: &Facts) -> Element<'a, Message> {
        let shift = if facts.on_duty_here {
            small_button(ctx.tr("duty-end"), Message::EndShift, false)
        } else {
            let counter = ctx
                .counter
                .map(|c| c.name.get(ctx.language).to_owned())
                .unwrap_or_default();
            small_button(
                ctx.tr_args("duty-start", &[("counter", counter)]),
                Message::StartShift,
                false,
            )
        };
        let duty = column![
            text(facts.duty.clone())
                .size(text_size::SMALL)
                .font(font::BOLD),
            shift,
        ]
        .spacing(8);
        let mut sync = column![
            text(ctx.tr("sync-title"))
                .size(text_size::SMALL)
                .font(font::BOLD)
        ]
        .spacing(2);
        for line in &facts.sync {
            sync = sync.push(text(line.clone()).size(text_size::SMALL));
        }
        let mut export = column![
            row![
                small_button(ctx.tr("export-excel"), Message::Export(Format::Xlsx), false),
                small_button(ctx.tr("export-csv"), Message::Export(Format::Csv), false),
            ]
            .spacing(12),
        ]
        .spacing(8);
        // Personal data leaves the terminal only when the supervisor asks for it.
        if self.role.is_supervisor() {
            export = export.push(small_button(
                ctx.tr("export-with-phone"),
                Message::TogglePersonal,
                self.include_personal,
            ));
        }
        export = export.push(self.sticks(ctx));
        if let Some(notice) = &self.notice {
            export = export.push(text(notice.clone()).size(text_size::SMALL).font(font::BOLD));
        }
        let boxed = |content: Element<'a, Message>| -> Element<'a, Message> {
            container(content)
                .padding(10)
                .width(Length::Fill)
                .style(theme::card)
                .into()
        };
        column![boxed(duty.into()), boxed(export.into()), boxed(sync.into())]
            .spacing(10)
            .width(390)
            .into()
    }
}

impl State {
    /// The USB sticks to choose from (the chosen one highlighted), where the file will go,
    /// and the rescan.
    fn sticks<'a>(&self, ctx: &Context<'_>) -> Element<'a, Message> {
        let mut list = row![].spacing(8);
        let target = match (&self.sticks, &self.chosen) {
            (None, _) => ctx.tr("export-looking"),
            (Some(_), Some(chosen)) => ctx.tr_args(
                "export-target-usb",
                &[("label", crate::provision::stick_label(chosen))],
            ),
            (Some(_), None) => ctx.tr("export-target-local"),
        };
        for stick in self.sticks.iter().flatten() {
            list = list.push(small_button(
                ctx.tr_args(
                    "export-stick",
                    &[("label", crate::provision::stick_label(stick))],
                ),
                Message::ChooseStick(stick.clone()),
                self.chosen.as_ref() == Some(stick),
            ));
        }
        list = list.push(small_button(
            ctx.tr("export-rescan"),
            Message::RescanUsb,
            false,
        ));
        column![
            list.wrap().vertical_spacing(8),
            text(target).size(text_size::SMALL).style(theme::muted_text),
        ]
        .spacing(8)
        .into()
    }

    /// The range's ratings one by one, newest first: the supervisor's view. Never a
    /// call-back number: [`Individuals`] does not carry one.
    fn answers<'a>(&self, ctx: &Context<'_>) -> Element<'a, Message> {
        let mut list = column![
            text(ctx.tr("answers-title"))
                .size(text_size::BODY)
                .font(font::BOLD)
        ]
        .spacing(10);
        match &self.answers {
            None => list = list.push(text(ctx.tr("chart-loading")).size(text_size::SMALL)),
            Some(answers) if answers.newest.is_empty() => {
                list = list.push(
                    text(ctx.tr("answers-none"))
                        .size(text_size::SMALL)
                        .style(theme::muted_text),
                );
            }
            Some(answers) => {
                for answer in &answers.newest {
                    list = list.push(answer_row(ctx, answer));
                }
                let more = answers.total.saturating_sub(answers.newest.len() as u64);
                if more > 0 {
                    list = list.push(
                        text(ctx.tr_args("answers-more", &[("count", more.to_string())]))
                            .size(text_size::SMALL)
                            .font(font::BOLD),
                    );
                }
            }
        }
        container(list)
            .padding(12)
            .width(Length::Fill)
            .style(theme::card)
            .into()
    }
}

/// One rating: time, counter, staff member, level (face and word), then reasons, the
/// complaint mark and the comment.
fn answer_row<'a>(
    ctx: &Context<'_>,
    answer: &crate::store::tally::Individual,
) -> Element<'a, Message> {
    let sentiment = answer.level.sentiment();
    let mut facts = vec![answer.device_time.format("%H:%M %d/%m").to_string()];
    if let Some(counter) = &answer.counter_id {
        facts.push(
            ctx.config
                .counter(counter)
                .map_or_else(|| counter.clone(), |c| c.name.get(ctx.language).to_owned()),
        );
    }
    if let Some(staff) = &answer.staff_id {
        facts.push(
            ctx.config
                .staff_member(staff)
                .map_or_else(|| staff.clone(), |s| s.name.clone()),
        );
    }
    facts.push(ctx.tr(sentiment.label_key()));
    if answer.complaint {
        facts.push(ctx.tr("answers-complaint"));
    }
    let mut lines = column![
        text(facts.join(" · "))
            .size(text_size::SMALL)
            .font(font::BOLD)
    ]
    .spacing(2);
    if !answer.reasons.is_empty() {
        let reasons: Vec<String> = answer
            .reasons
            .iter()
            .map(|id| reason_text(ctx, id))
            .collect();
        lines = lines.push(
            text(ctx.tr_args("answers-reasons", &[("reasons", reasons.join("; "))]))
                .size(text_size::SMALL),
        );
    }
    if let Some(comment) = &answer.comment {
        lines = lines.push(
            text(ctx.tr_args("answers-comment", &[("comment", comment.clone())]))
                .size(text_size::SMALL),
        );
    }
    row![
        crate::widget::face::face(sentiment, 28.0),
        lines.width(Length::Fill)
    ]
    .spacing(10)
    .align_y(Alignment::Start)
    .into()
}

/// Staff screens are denser than the citizen's, but stay well above 9 mm.
const STAFF_BUTTON: f32 = 60.0;

fn small_button<'a>(label: String, message: Message, active: bool) -> Element<'a, Message> {
    button(
        container(text(label).size(text_size::BODY).font(font::BOLD))
            .center_y(Length::Fill)
            .padding([0.0, 8.0]),
    )
    .on_press(message)
    .height(STAFF_BUTTON)
    .style(if active {
        theme::selected_button
    } else {
        theme::secondary_button
    })
    .into()
}

fn sentiment_index(sentiment: Sentiment) -> usize {
    match sentiment {
        Sentiment::VeryUnsatisfied => 0,
        Sentiment::Unsatisfied => 1,
        Sentiment::Neutral => 2,
        Sentiment::Satisfied => 3,
        Sentiment::VerySatisfied => 4,
    }
}

fn reason_text(ctx: &Context<'_>, id: &str) -> String {
    ctx.config
        .question_sets
        .iter()
        .flat_map(|set| set.reasons.iter())
        .find(|reason| reason.id == id)
        .map_or_else(
            || id.to_owned(),
            |reason| reason.text.get(ctx.language).to_owned(),
        )
}
