//! The rating screen: the question and one big button per level. One tap records the rating.

use iced::widget::{button, column, container, row, text};
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
    /// A level was tapped.
    Rate(Level),
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

/// The screen.
pub fn view<'a>(ctx: &Context<'_>, set: &QuestionSet) -> Element<'a, Message> {
    let question = set.question.as_ref().map_or_else(
        || ctx.tr("question-default"),
        |q| q.get(ctx.language).to_owned(),
    );
    let levels = row(Level::all_for_display(set.levels)
        .into_iter()
        .map(|level| level_button(ctx, level)))
    .spacing(size::GAP)
    .height(Length::Fill);
    let body = column![
        container(
            column![
                text(question)
                    .size(ctx.text(text_size::QUESTION))
                    .font(font::BOLD)
                    .align_x(Alignment::Center),
                text(ctx.tr("question-hint"))
                    .size(ctx.text(text_size::BODY))
                    .style(theme::muted_text),
            ]
            .spacing(10)
            .align_x(Alignment::Center),
        )
        .center_x(Length::Fill)
        .height(Length::FillPortion(2))
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

fn level_button<'a>(ctx: &Context<'_>, level: Level) -> Element<'a, Message> {
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
    button(
        container(content)
            .center_x(Length::Fill)
            .center_y(Length::Fill),
    )
    .on_press(Message::Rate(level))
    .width(Length::Fill)
    .height(Length::Fill)
    .padding(12)
    .style(theme::level_button(sentiment))
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
