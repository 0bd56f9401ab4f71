//! The citizen's screens, one file each, and the parts they share (header, banners, buttons).
//!
//! Screens do no I/O: they turn their messages into events for the app and draw from the
//! [`Context`] they are given.

pub mod comment;
pub mod consent;
pub mod criteria;
pub mod dossier;
pub mod home;
pub mod phone;
pub mod pin;
pub mod reasons;
pub mod setup;
pub mod staff;
pub mod technician;
pub mod thanks;

use iced::widget::{Space, button, column, container, row, text};
use iced::{Alignment, Length};

use crate::config::{Counter, Staff, TerminalConfig};
use crate::font;
use crate::i18n::{I18n, Language};
use crate::theme::{self, Look, size, text_size};
use crate::widget::Element;

/// A notice shown across the top of every citizen screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Banner {
    /// A write failed; the rating is kept and retried.
    WriteTrouble,
    /// The database cannot be opened at all.
    StorageUnavailable,
}

/// What every screen needs to draw itself.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub config: &'a TerminalConfig,
    pub i18n: &'a I18n,
    pub language: &'a Language,
    pub counter: Option<&'a Counter>,
    pub staff: Option<&'a Staff>,
    /// The photo of the staff member on duty, on citizen screens only.
    pub photo: Option<&'a iced::widget::image::Handle>,
    pub banner: Option<Banner>,
    /// High contrast and large text, as the citizen chose.
    pub look: Look,
}

impl Context<'_> {
    /// The text of `key` in the citizen's language.
    pub fn tr(&self, key: &str) -> String {
        self.i18n.tr(self.language, key)
    }

    /// A text size of [`text_size`], larger in large-text mode.
    pub fn text(&self, size: f32) -> f32 {
        size * self.look.text_scale()
    }

    /// The text of `key` with arguments.
    pub fn tr_args(&self, key: &str, args: &[(&str, String)]) -> String {
        self.i18n.tr_args(self.language, key, args)
    }
}

/// The first-start page: a header with the product's name only (no commune is configured yet,
/// and the demo's must not show), banners, then the body.
pub fn setup_page<'a, M: Clone + 'a>(ctx: &Context<'_>, body: Element<'a, M>) -> Element<'a, M> {
    let band = container(
        text(ctx.tr("app-title"))
            .size(ctx.text(text_size::COMMUNE))
            .font(font::BOLD),
    )
    .padding([12.0, size::EDGE])
    .height(size::HEADER)
    .width(Length::Fill)
    .align_y(Alignment::Center)
    .style(theme::header);
    let mut page = column![band];
    if let Some(Banner::StorageUnavailable) = ctx.banner {
        page = page.push(strip(
            ctx,
            ctx.tr("storage-unavailable"),
            theme::alert_banner,
        ));
    }
    page.push(
        container(body)
            .padding(size::EDGE)
            .width(Length::Fill)
            .height(Length::Fill),
    )
    .into()
}

/// Header band, optional banners, then the body filling the rest.
pub fn page<'a, M: Clone + 'a>(
    ctx: &Context<'_>,
    header_extra: Option<Element<'a, M>>,
    body: Element<'a, M>,
) -> Element<'a, M> {
    page_with_corner(ctx, header_extra, body, None)
}

/// Like [`page`]; holding the commune's name sends `hold.0` on press and `hold.1` on release
/// (the discreet way into staff mode).
pub fn page_with_corner<'a, M: Clone + 'a>(
    ctx: &Context<'_>,
    header_extra: Option<Element<'a, M>>,
    body: Element<'a, M>,
    hold: Option<(M, M)>,
) -> Element<'a, M> {
    let mut page = column![header(ctx, header_extra, hold)];
    if ctx.config.demo {
        page = page.push(strip(ctx, ctx.tr("demo-badge"), theme::demo_badge));
    }
    match ctx.banner {
        Some(Banner::WriteTrouble) => {
            page = page.push(strip(ctx, ctx.tr("write-apology"), theme::alert_banner));
        }
        Some(Banner::StorageUnavailable) => {
            page = page.push(strip(
                ctx,
                ctx.tr("storage-unavailable"),
                theme::alert_banner,
            ));
        }
        None => {}
    }
    page.push(
        container(body)
            .padding(size::EDGE)
            .width(Length::Fill)
            .height(Length::Fill),
    )
    .into()
}

fn strip<'a, M: 'a>(
    ctx: &Context<'_>,
    message: String,
    style: fn(&iced::Theme) -> container::Style,
) -> Element<'a, M> {
    container(
        text(message)
            .size(ctx.text(text_size::BODY))
            .font(font::BOLD),
    )
    .padding([8.0, size::EDGE])
    .width(Length::Fill)
    .style(style)
    .into()
}

fn header<'a, M: Clone + 'a>(
    ctx: &Context<'_>,
    extra: Option<Element<'a, M>>,
    hold: Option<(M, M)>,
) -> Element<'a, M> {
    let commune = &ctx.config.commune;
    let mut names = column![
        text(commune.name.clone())
            .size(ctx.text(text_size::COMMUNE))
            .font(font::BOLD)
    ];
    let counter = ctx.counter.map(|c| c.name.get(ctx.language).to_owned());
    let desk = match (counter, ctx.staff) {
        (Some(counter), Some(staff)) => Some(ctx.tr_args(
            "counter-staff",
            &[("counter", counter), ("staff", staff.name.clone())],
        )),
        (Some(counter), None) => Some(ctx.tr_args("counter-only", &[("counter", counter)])),
        (None, _) => None,
    };
    if let Some(desk) = desk {
        names = names.push(text(desk).size(ctx.text(text_size::SMALL)));
    }
    let names: Element<'a, M> = match hold {
        Some((press, release)) => iced::widget::mouse_area(names)
            .on_press(press)
            .on_release(release)
            .into(),
        None => names.into(),
    };
    let mut band = row![].spacing(16).align_y(Alignment::Center);
    // The face beside the name, so that a citizen knows who served them.
    let photo = ctx.photo.filter(|_| ctx.staff.is_some());
    if let Some(photo) = photo {
        band = band.push(
            container(
                iced::widget::image(photo.clone())
                    .width(size::PHOTO_WIDTH)
                    .height(size::PHOTO_HEIGHT)
                    .content_fit(iced::ContentFit::Cover)
                    .border_radius(8.0),
            )
            .padding(2)
            .style(theme::photo_frame),
        );
    }
    band = band.push(container(names).width(Length::Fill));
    if let Some(extra) = extra {
        band = band.push(extra);
    }
    let (height, padding) = if photo.is_some() {
        (size::HEADER_WITH_PHOTO, 6.0)
    } else {
        (size::HEADER, 12.0)
    };
    container(band)
        .padding([padding, size::EDGE])
        .height(height)
        .width(Length::Fill)
        .align_y(Alignment::Center)
        .style(theme::header)
        .into()
}

/// The main action of a screen.
pub fn primary<'a, M: Clone + 'a>(ctx: &Context<'_>, label: String, message: M) -> Element<'a, M> {
    action(ctx, label, message, theme::primary_button)
}

/// A secondary action (Cancel).
pub fn secondary<'a, M: Clone + 'a>(
    ctx: &Context<'_>,
    label: String,
    message: M,
) -> Element<'a, M> {
    action(ctx, label, message, theme::secondary_button)
}

/// The way past a follow-up page without answering it.
pub fn skip<'a, M: Clone + 'a>(ctx: &Context<'_>, message: M) -> Element<'a, M> {
    action(ctx, ctx.tr("action-skip"), message, theme::secondary_button)
}

fn action<'a, M: Clone + 'a>(
    ctx: &Context<'_>,
    label: String,
    message: M,
    style: fn(&iced::Theme, button::Status) -> button::Style,
) -> Element<'a, M> {
    button(
        container(
            text(label)
                .size(ctx.text(text_size::ANSWER))
                .font(font::BOLD),
        )
        .center_x(Length::Fill)
        .center_y(Length::Fill),
    )
    .on_press(message)
    .width(260.0 * ctx.look.text_scale())
    .height(size::TOUCH_MIN + 8.0)
    .style(style)
    .into()
}

/// A title line with an optional hint under it.
pub fn title<'a, M: 'a>(ctx: &Context<'_>, title: String, hint: Option<String>) -> Element<'a, M> {
    let mut block = column![
        text(title)
            .size(ctx.text(text_size::TITLE))
            .font(font::BOLD)
    ]
    .spacing(6);
    if let Some(hint) = hint {
        block = block.push(
            text(hint)
                .size(ctx.text(text_size::BODY))
                .style(theme::muted_text),
        );
    }
    block.into()
}

/// A page where the citizen types digits (the dossier code, the call-back number).
pub struct DigitEntry<'a, M> {
    pub title: String,
    pub hint: String,
    /// What was typed, as shown; empty shows `placeholder`.
    pub typed: String,
    pub placeholder: String,
    /// A line under what was typed (why it was refused).
    pub note: Option<Element<'a, M>>,
    pub digit: fn(char) -> M,
    pub clear: M,
    pub delete: M,
    pub skip: M,
    /// Offered once something is typed.
    pub done: M,
}

/// Title and hint; what was typed (with its note) beside a 3x4 keypad; Skip and Done.
pub fn digit_entry<'a, M: Clone + 'a>(
    ctx: &Context<'_>,
    entry: DigitEntry<'a, M>,
) -> Element<'a, M> {
    use crate::widget::keypad::{Key, Sizes, keypad};
    let typed = !entry.typed.is_empty();
    let shown = if typed {
        text(entry.typed)
            .size(ctx.text(text_size::KEY))
            .font(font::BOLD)
    } else {
        text(entry.placeholder)
            .size(ctx.text(text_size::ANSWER))
            .style(theme::muted_text)
    };
    let display = container(shown)
        .center_y(size::TOUCH_MIN + 8.0)
        .padding([0.0, 20.0])
        .width(Length::Fill)
        .style(theme::card);
    let mut left = column![display].spacing(size::GAP);
    if let Some(note) = entry.note {
        left = left.push(note);
    }
    let on_digit = entry.digit;
    let digit = |c: char| Some(Key::char(c, on_digit(c)));
    let keys = keypad(
        vec![
            vec![digit('1'), digit('2'), digit('3')],
            vec![digit('4'), digit('5'), digit('6')],
            vec![digit('7'), digit('8'), digit('9')],
            vec![
                Some(Key::word(ctx.tr("action-clear"), entry.clear)),
                digit('0'),
                Some(Key::word(ctx.tr("action-delete"), entry.delete)),
            ],
        ],
        Sizes {
            key: iced::Size::new(size::KEY * 1.6, size::KEY - 4.0),
            char_text: ctx.text(text_size::KEY),
            word_text: ctx.text(text_size::BODY),
            spacing: 10.0,
        },
    );
    let done = typed.then(|| primary(ctx, ctx.tr("action-done"), entry.done));
    let body = column![
        title(ctx, entry.title, Some(entry.hint)),
        row![
            container(left).width(Length::FillPortion(1)),
            container(keys).width(Length::Shrink),
        ]
        .spacing(size::GAP * 2.0)
        .align_y(Alignment::Start)
        .height(Length::Fill),
        bottom_bar(skip(ctx, entry.skip), done),
    ]
    .spacing(size::GAP);
    page(ctx, None, body.into())
}

/// The bottom bar: Skip on the left, the main action on the right.
pub fn bottom_bar<'a, M: Clone + 'a>(
    left: Element<'a, M>,
    right: Option<Element<'a, M>>,
) -> Element<'a, M> {
    let mut bar = row![left, Space::new().width(Length::Fill)].align_y(Alignment::Center);
    if let Some(right) = right {
        bar = bar.push(right);
    }
    bar.into()
}
