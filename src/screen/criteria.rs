//! One criteria page: a Circular 01/2018 indicator (options scored 2/1/0) or a SIPAS
//! statement on the 5-level scale. One question per screen; every page can be skipped.

use iced::widget::{button, column, container, row, text};
use iced::{Alignment, Length};

use super::{Context, bottom_bar, page, skip, title};
use crate::font;
use crate::store::Answer;
use crate::survey::{Criterion, CriterionKind, Level};
use crate::theme::{self, size, text_size};
use crate::widget::Element;
use crate::widget::face::face;

/// Which criterion of the set is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct State {
    /// Index in the question set's criteria.
    pub index: usize,
}

/// What a citizen can do here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// An answer was tapped.
    Answer(Answer),
    /// Skip the page.
    Skip,
}

/// What the app should do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Answered(Answer),
    Skipped,
}

impl State {
    /// Handles a message.
    pub fn update(&self, message: Message) -> Event {
        match message {
            Message::Answer(answer) => Event::Answered(answer),
            Message::Skip => Event::Skipped,
        }
    }

    /// The screen; `position` counts this page among all follow-up criteria pages.
    pub fn view<'a>(
        &self,
        ctx: &Context<'_>,
        criterion: &Criterion,
        position: (usize, usize),
    ) -> Element<'a, Message> {
        let progress = ctx.tr_args(
            "criteria-progress",
            &[
                ("current", position.0.to_string()),
                ("total", position.1.to_string()),
            ],
        );
        let answers: Element<'a, Message> = match criterion.kind {
            CriterionKind::Circular01 => {
                column(criterion.options.iter().enumerate().map(|(i, option)| {
                    let answer = Answer {
                        criterion_id: criterion.id.clone(),
                        value: u8::try_from(i + 1).unwrap_or(u8::MAX),
                        points: option.points,
                    };
                    button(
                        container(
                            text(option.text.get(ctx.language).to_owned())
                                .size(ctx.text(text_size::ANSWER))
                                .font(font::BOLD),
                        )
                        .center_y(Length::Fill)
                        .padding([0.0, 12.0]),
                    )
                    .on_press(Message::Answer(answer))
                    .width(Length::Fill)
                    .height(Length::Fill)
                    .style(theme::secondary_button)
                    .into()
                }))
                .spacing(size::GAP)
                .height(Length::Fill)
                .into()
            }
            CriterionKind::Scale5 => row(Level::all_for_display(5).into_iter().map(|level| {
                let sentiment = level.sentiment();
                let answer = Answer {
                    criterion_id: criterion.id.clone(),
                    value: level.value,
                    points: level.value,
                };
                button(
                    container(
                        column![
                            face(sentiment, size::FACE * 0.8),
                            text(ctx.tr(sentiment.label_key()))
                                .size(ctx.text(text_size::ANSWER))
                                .font(font::BOLD)
                                .align_x(Alignment::Center),
                        ]
                        .spacing(12)
                        .align_x(Alignment::Center),
                    )
                    .center_x(Length::Fill)
                    .center_y(Length::Fill),
                )
                .on_press(Message::Answer(answer))
                .width(Length::Fill)
                .height(Length::Fill)
                .padding(10)
                .style(theme::level_button(sentiment))
                .into()
            }))
            .spacing(size::GAP)
            .height(Length::Fill)
            .into(),
        };
        let body = column![
            text(progress)
                .size(ctx.text(text_size::BODY))
                .style(theme::muted_text),
            title(ctx, criterion.text.get(ctx.language).to_owned(), None),
            answers,
            bottom_bar(skip(ctx, Message::Skip), None),
        ]
        .spacing(size::GAP);
        page(ctx, None, body.into())
    }
}
