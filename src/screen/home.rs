//! The rating screen: the question and one big button per level. One tap records the rating.

use iced::widget::{button, column, container, mouse_area, row, text};
use iced::{Alignment, Length};

use super::Context;
use crate::font;
use crate::i18n::Language;
use crate::survey::{Level, QuestionSet};
use crate::theme::{self, size, text_size};
use crate::widget::Element;
use crate::widget::face::face;
use crate::widget::icon::contrast_icon;

/// What a citizen can do here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// A level was tapped (recorded at once).
    Rate(Level),
    /// A finger went down on the question or a level (held, it is read aloud).
    Press(Target),
    /// ... and came up: a level is rated unless it was read aloud.
    Release(Target),
    /// A language was picked.
    Language(Language),
    /// High contrast on or off.
    HighContrast,
    /// Large text on or off.
    LargeText,
    /// The commune's name is pressed (held long, it opens staff mode).
    CornerPressed,
    /// ... and released.
    CornerReleased,
}

/// What can be held to hear it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Question,
    Level(Level),
}

/// The screen. `held` is what a finger is on (drawn pressed); `read_aloud` adds the hint.
pub fn view<'a>(
    ctx: &Context<'_>,
    set: &QuestionSet,
    held: Option<Target>,
    read_aloud: bool,
) -> Element<'a, Message> {
    let question = set.question.as_ref().map_or_else(
        || ctx.tr("question-default"),
        |q| q.get(ctx.language).to_owned(),
    );
    let levels = row(Level::all_for_display(set.levels)
        .into_iter()
        .map(|level| level_button(ctx, level, held == Some(Target::Level(level)))))
    .spacing(size::GAP)
    .height(Length::Fill);
    let hint = if read_aloud {
        ctx.tr("question-hint-read-aloud")
    } else {
        ctx.tr("question-hint")
    };
    let body = column![
        container(
            column![
                mouse_area(
                    text(question)
                        .size(ctx.text(text_size::QUESTION))
                        .font(font::BOLD)
                        .align_x(Alignment::Center)
                )
                .on_press(Message::Press(Target::Question))
                .on_release(Message::Release(Target::Question)),
                text(hint)
                    .size(ctx.text(text_size::BODY))
                    .style(theme::muted_text),
            ]
            .spacing(10)
            .align_x(Alignment::Center),
        )
        .center_x(Length::Fill)
        // Large text needs the room of a third line (the question wraps once more).
        .height(Length::FillPortion(if ctx.look.large_text { 3 } else { 2 }))
        .align_y(Alignment::Center),
        container(levels).height(Length::FillPortion(5)),
        look_switch(ctx),
    ]
    .spacing(size::GAP);
    super::page_with_corner(
        ctx,
        Some(language_switch(ctx)),
        body.into(),
        Some((Message::CornerPressed, Message::CornerReleased)),
    )
}

/// A level: rated when the finger comes up, read aloud while it is held (a mouse area, not a
/// button, so that press and release are told apart).
fn level_button<'a>(ctx: &Context<'_>, level: Level, held: bool) -> Element<'a, Message> {
    let sentiment = level.sentiment();
    let content = column![
        face(sentiment, size::FACE),
        text(ctx.tr(sentiment.label_key()))
            .size(ctx.text(text_size::LEVEL))
            .font(font::BOLD)
            .align_x(Alignment::Center),
    ]
    .spacing(18)
    .align_x(Alignment::Center);
    let status = if held {
        button::Status::Pressed
    } else {
        button::Status::Active
    };
    let look = theme::level_button(sentiment);
    mouse_area(
        container(content)
            .center_x(Length::Fill)
            .center_y(Length::Fill)
            .padding(12)
            .style(move |theme| {
                let style = look(theme, status);
                container::Style {
                    text_color: Some(style.text_color),
                    background: style.background,
                    border: style.border,
                    ..container::Style::default()
                }
            }),
    )
    .on_press(Message::Press(Target::Level(level)))
    .on_release(Message::Release(Target::Level(level)))
    .into()
}

fn language_switch<'a>(ctx: &Context<'_>) -> Element<'a, Message> {
    row(ctx.i18n.languages().into_iter().map(|language| {
        let active = &language == ctx.language;
        let name = ctx.i18n.tr(&language, "language-name");
        button(
            container(text(name).size(ctx.text(text_size::BODY)).font(font::BOLD))
                .center_x(Length::Fill)
                .center_y(Length::Fill),
        )
        .on_press(Message::Language(language))
        .width(170.0 * ctx.look.text_scale())
        .height(size::TOUCH_MIN)
        .style(theme::language_button(active))
        .into()
    }))
    .spacing(12)
    .into()
}

/// High contrast and large text, for this citizen only.
fn look_switch<'a>(ctx: &Context<'_>) -> Element<'a, Message> {
    let toggle = |icon: Element<'a, Message>,
                  label: String,
                  on: bool,
                  message: Message|
     -> Element<'a, Message> {
        button(
            container(
                row![
                    icon,
                    text(label).size(ctx.text(text_size::BODY)).font(font::BOLD)
                ]
                .spacing(12)
                .align_y(Alignment::Center),
            )
            .center_y(Length::Fill),
        )
        .on_press(message)
        .height(size::TOUCH_MIN)
        .padding([0.0, 22.0])
        .style(if on {
            theme::selected_button
        } else {
            theme::secondary_button
        })
        .into()
    };
    row![
        toggle(
            text("Aa")
                .size(ctx.text(text_size::ANSWER))
                .font(font::BOLD)
                .into(),
            ctx.tr("look-large-text"),
            ctx.look.large_text,
            Message::LargeText,
        ),
        toggle(
            contrast_icon(ctx.text(text_size::ANSWER), ctx.look.high_contrast),
            ctx.tr("look-high-contrast"),
            ctx.look.high_contrast,
            Message::HighContrast,
        ),
    ]
    .spacing(size::GAP)
    .into()
}
