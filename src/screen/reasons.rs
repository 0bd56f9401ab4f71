//! Reasons for a negative rating: a multi-select of large toggles, from the question set.
//! Citizen screens never scroll: reasons that do not fit (more than eight, or more than six in
//! large text) go on further pages, reached with "Xem thêm lý do"; ticks stay across pages.

use iced::widget::{Space, button, column, container, row, text};
use iced::{Alignment, Length};

use super::{Context, page, primary, secondary, skip, title};
use crate::survey::Reason;
use crate::theme::{self, size, text_size};
use crate::widget::Element;
use crate::widget::check::check;

/// The reasons chosen so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct State {
    selected: Vec<String>,
    /// The page of reasons shown, from 0.
    page: usize,
}

/// What a citizen can do here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// A reason was tapped (selects or unselects it).
    Toggle(String),
    /// Done with the reasons.
    Done,
    /// Skip the page.
    Skip,
    /// Show the next page of reasons (after the last, the first again).
    MoreReasons,
}

/// What the app should do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The reasons chosen, in the order of the configuration (maybe none).
    Chosen(Vec<String>),
}

impl State {
    /// Handles a message; `reasons` fixes the order of the result.
    pub fn update(&mut self, message: Message, reasons: &[Reason]) -> Option<Event> {
        match message {
            Message::Toggle(id) => {
                if let Some(at) = self.selected.iter().position(|s| *s == id) {
                    let _ = self.selected.remove(at);
                } else if reasons.iter().any(|r| r.id == id) {
                    self.selected.push(id);
                }
                None
            }
            Message::Done => Some(Event::Chosen(self.chosen(reasons))),
            Message::Skip => Some(Event::Chosen(Vec::new())),
            Message::MoreReasons => {
                self.page += 1;
                None
            }
        }
    }

    /// The reasons ticked so far, in the order of the configuration.
    pub fn chosen(&self, reasons: &[Reason]) -> Vec<String> {
        reasons
            .iter()
            .filter(|r| self.selected.contains(&r.id))
            .map(|r| r.id.clone())
            .collect()
    }

    /// The page shown, for `count` reasons `per_page` at a time.
    pub fn page(&self, count: usize, per_page: usize) -> usize {
        self.page % count.div_ceil(per_page).max(1)
    }

    /// The screen: a page of reasons in two columns; Skip, "more reasons" when they do not all
    /// fit, and Done at the bottom.
    pub fn view<'a>(&self, ctx: &Context<'_>, reasons: &[Reason]) -> Element<'a, Message> {
        let per_page = per_page(ctx.look.large_text);
        let pages = reasons.len().div_ceil(per_page).max(1);
        let shown_page = self.page(reasons.len(), per_page);
        let shown = reasons.iter().skip(shown_page * per_page).take(per_page);
        let mut toggles = shown.map(|reason| {
            let on = self.selected.contains(&reason.id);
            button(
                container(
                    row![
                        check(on),
                        text(reason.text.get(ctx.language).to_owned())
                            .size(ctx.text(text_size::ANSWER))
                            .width(Length::Fill),
                    ]
                    .spacing(16)
                    .align_y(Alignment::Center),
                )
                .center_y(Length::Fill),
            )
            .on_press(Message::Toggle(reason.id.clone()))
            .width(Length::Fill)
            .height(Length::Fill)
            .padding([8.0, 18.0])
            .style(if on {
                theme::selected_button
            } else {
                theme::secondary_button
            })
            .into()
        });
        // Every page has the rows of a full one, so the toggles keep their size.
        let mut grid = column![].spacing(size::GAP / 1.5).height(Length::Fill);
        for _ in 0..per_page.div_ceil(2) {
            let mut line = row![].spacing(size::GAP).height(Length::Fill);
            for _ in 0..2 {
                let cell: Element<'a, Message> = toggles
                    .next()
                    .unwrap_or_else(|| Space::new().width(Length::Fill).into());
                line = line.push(cell);
            }
            grid = grid.push(line);
        }
        let mut bar = row![skip(ctx, Message::Skip), Space::new().width(Length::Fill)]
            .spacing(size::GAP)
            .align_y(Alignment::Center);
        if pages > 1 {
            bar = bar.push(secondary(
                ctx,
                ctx.tr_args(
                    "reasons-more",
                    &[
                        ("page", (shown_page + 1).to_string()),
                        ("pages", pages.to_string()),
                    ],
                ),
                Message::MoreReasons,
            ));
        }
        bar = bar.push(primary(ctx, ctx.tr("action-done"), Message::Done));
        let body = column![
            title(ctx, ctx.tr("reasons-title"), Some(ctx.tr("reasons-hint"))),
            grid,
            bar,
        ]
        .spacing(size::GAP);
        page(ctx, None, body.into())
    }
}

/// Reasons on one page: eight (four rows of two), six in large text.
pub fn per_page(large_text: bool) -> usize {
    if large_text { 6 } else { 8 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::LocalText;

    fn reasons() -> Vec<Reason> {
        ["a", "b", "c"]
            .iter()
            .map(|id| Reason {
                id: (*id).to_owned(),
                text: LocalText::Plain((*id).to_owned()),
            })
            .collect()
    }

    #[test]
    fn toggling_twice_unselects_and_order_follows_the_configuration() {
        let reasons = reasons();
        let mut state = State::default();
        for id in ["c", "a", "b", "b"] {
            assert_eq!(state.update(Message::Toggle(id.into()), &reasons), None);
        }
        assert_eq!(
            state.update(Message::Done, &reasons),
            Some(Event::Chosen(vec!["a".into(), "c".into()]))
        );
    }

    #[test]
    fn an_unknown_reason_is_ignored_and_skip_chooses_nothing() {
        let reasons = reasons();
        let mut state = State::default();
        let _ = state.update(Message::Toggle("zzz".into()), &reasons);
        let _ = state.update(Message::Toggle("a".into()), &reasons);
        assert_eq!(
            state.update(Message::Skip, &reasons),
            Some(Event::Chosen(Vec::new()))
        );
    }
}
