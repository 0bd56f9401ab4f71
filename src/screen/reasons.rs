//! Reasons for a negative rating: a multi-select of large toggles, from the question set.

use iced::widget::{button, column, container, row, scrollable, text};
use iced::{Alignment, Length};

use super::{Context, bottom_bar, page, primary, skip, title};
use crate::survey::Reason;
use crate::theme::{self, size, text_size};
use crate::widget::Element;
use crate::widget::check::check;

/// The reasons chosen so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct State {
    selected: Vec<String>,
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

    /// The screen: reasons in two columns, Skip and Done at the bottom. Up to
    /// [`FILLED_MAX`] reasons in standard text share the page's height; more, or large text,
    /// take their natural height in a list that scrolls (with a wide scroll bar) when needed.
    pub fn view<'a>(&self, ctx: &Context<'_>, reasons: &[Reason]) -> Element<'a, Message> {
        let filled = reasons.len() <= FILLED_MAX && !ctx.look.large_text;
        let height = if filled { Length::Fill } else { Length::Shrink };
        let toggles: Vec<Element<'a, Message>> = reasons
            .iter()
            .map(|reason| {
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
                    .center_y(height),
                )
                .on_press(Message::Toggle(reason.id.clone()))
                .width(Length::Fill)
                .height(height)
                .padding([12.0, 18.0])
                .style(if on {
                    theme::selected_button
                } else {
                    theme::secondary_button
                })
                .into()
            })
            .collect();
        let rows_needed = toggles.len().div_ceil(2);
        let mut grid = column![].spacing(size::GAP / 1.5).height(height);
        let mut toggles = toggles.into_iter();
        for _ in 0..rows_needed {
            let mut line = row![].spacing(size::GAP).height(height);
            for _ in 0..2 {
                line = match toggles.next() {
                    Some(toggle) => line.push(toggle),
                    None => line.push(container(text("")).width(Length::Fill)),
                };
            }
            grid = grid.push(line);
        }
        let grid: Element<'a, Message> = if filled {
            grid.into()
        } else {
            scrollable(container(grid).padding(iced::Padding::default().right(size::GAP * 1.5)))
                .direction(scrollable::Direction::Vertical(
                    scrollable::Scrollbar::new()
                        .width(size::GAP)
                        .scroller_width(size::GAP),
                ))
                .height(Length::Fill)
                .into()
        };
        let body = column![
            title(ctx, ctx.tr("reasons-title"), Some(ctx.tr("reasons-hint"))),
            grid,
            bottom_bar(
                skip(ctx, Message::Skip),
                Some(primary(ctx, ctx.tr("action-done"), Message::Done)),
            ),
        ]
        .spacing(size::GAP);
        page(ctx, None, body.into())
    }
}

/// Most reasons shown filling the page; more scroll.
pub const FILLED_MAX: usize = 8;

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
