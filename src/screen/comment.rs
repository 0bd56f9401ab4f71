//! The optional comment (góp ý): typed on the on-screen Vietnamese keyboard (Telex) or a
//! physical one, with a tick for "this is a complaint, I want an answer" (phản ánh, kiến
//! nghị), which leads to the consent page for a call-back number.

use iced::widget::text::Span;
use iced::widget::{button, column, container, rich_text, row, span, text};
use iced::{Alignment, Length, Size};

use super::{Context, page, primary, skip, title};
use crate::theme::{self, size, text_size};
use crate::widget::Element;
use crate::widget::check::check;
use crate::widget::keyboard::{self, Composer, Key, Labels, Layout};

/// Size of a letter key, in design units (at least 9 mm on every supported screen; see the
/// touch-target test in theme.rs).
pub const KEY: Size = Size::new(96.0, 64.0);

/// The comment being typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct State {
    composer: Composer,
    layout: Layout,
    complaint: bool,
}

impl Default for State {
    fn default() -> Self {
        Self {
            composer: Composer::new(hailong_protocol::MAX_COMMENT_CHARS),
            layout: Layout::default(),
            complaint: false,
        }
    }
}

/// What a citizen can do here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Message {
    /// A key of the on-screen keyboard.
    Key(Key),
    /// A character from a physical keyboard (already upper or lower case).
    Typed(char),
    /// Backspace on a physical keyboard.
    Backspace,
    /// The complaint tick.
    Complaint,
    /// Send the comment (Enter on a physical keyboard).
    Send,
    /// No comment.
    Skip,
}

/// What the app should do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The comment (maybe none) and whether it is a complaint.
    Sent {
        comment: Option<String>,
        complaint: bool,
    },
    /// No comment, no complaint.
    Skipped,
}

impl State {
    /// The text as shown, the word being typed composed.
    pub fn text(&self) -> String {
        self.composer.text()
    }

    /// What was typed so far, for a citizen who walks away (kept like ticked reasons).
    pub fn partial(&self) -> Option<String> {
        self.composer.result()
    }

    /// Handles a message.
    pub fn update(&mut self, message: Message) -> Option<Event> {
        match message {
            Message::Key(Key::Backspace) | Message::Backspace => {
                self.composer.backspace();
                None
            }
            Message::Key(key) => {
                if let Some(c) = self.layout.press(key) {
                    self.composer.push(c);
                }
                None
            }
            Message::Typed(c) => {
                self.composer.push(c);
                None
            }
            Message::Complaint => {
                self.complaint = !self.complaint;
                None
            }
            Message::Send => {
                let comment = self.composer.result();
                if comment.is_none() && !self.complaint {
                    Some(Event::Skipped)
                } else {
                    Some(Event::Sent {
                        comment,
                        complaint: self.complaint,
                    })
                }
            }
            Message::Skip => Some(Event::Skipped),
        }
    }

    /// The screen: the text, the complaint tick, Skip and Send, the keyboard.
    pub fn view<'a>(&self, ctx: &Context<'_>) -> Element<'a, Message> {
        let colors = ctx.look.palette();
        let body_size = ctx.text(text_size::ANSWER);
        let shown: Element<'a, Message> = if self.text().is_empty() {
            text(ctx.tr("comment-empty"))
                .size(ctx.text(text_size::BODY))
                .style(theme::muted_text)
                .into()
        } else {
            // The word being composed is underlined, as desktop input methods show it.
            let spans: Vec<Span<'a, (), iced::Font>> = vec![
                span(self.composer.finished().to_owned()),
                span(self.composer.composing())
                    .underline(true)
                    .color(colors.accent_on_surface()),
                span("▏").color(colors.muted),
            ];
            rich_text(spans).size(body_size).into()
        };
        let display = container(shown)
            .padding([10.0, 18.0])
            .width(Length::Fill)
            .height(100.0)
            .align_y(Alignment::End)
            .clip(true)
            .style(theme::card);
        let complaint = button(
            container(
                row![
                    check(self.complaint),
                    text(ctx.tr("comment-complaint"))
                        .size(ctx.text(text_size::BODY))
                        .width(Length::Fill),
                ]
                .spacing(14)
                .align_y(Alignment::Center),
            )
            .center_y(Length::Fill),
        )
        .on_press(Message::Complaint)
        .width(Length::Fill)
        .height(size::TOUCH_MIN + 8.0)
        .padding([4.0, 16.0])
        .style(if self.complaint {
            theme::selected_button
        } else {
            theme::secondary_button
        });
        let actions = row![
            complaint,
            skip(ctx, Message::Skip),
            primary(ctx, ctx.tr("comment-send"), Message::Send),
        ]
        .spacing(size::GAP)
        .align_y(Alignment::Center);
        let labels = Labels {
            space: ctx.tr("key-space"),
            backspace: ctx.tr("key-backspace"),
            shift: ctx.tr("key-shift"),
            digits: ctx.tr("key-digits"),
            letters: ctx.tr("key-letters"),
        };
        let keys = keyboard::keyboard(
            self.layout,
            &labels,
            KEY,
            ctx.text(text_size::ANSWER).min(36.0),
            Message::Key,
        );
        let body = column![
            title(ctx, ctx.tr("comment-title"), None),
            display,
            actions,
            container(keys).center_x(Length::Fill),
        ]
        .spacing(14);
        page(ctx, None, body.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(state: &mut State, keys: &str) {
        for c in keys.chars() {
            let key = match c {
                ' ' => Key::Space,
                '^' => Key::Shift,
                c => Key::Char(c),
            };
            assert_eq!(state.update(Message::Key(key)), None);
        }
    }

    #[test]
    fn on_screen_keys_write_vietnamese() {
        let mut state = State::default();
        press(&mut state, "^thais ddooj toots");
        assert_eq!(state.text(), "Thái độ tốt");
        assert_eq!(
            state.update(Message::Send),
            Some(Event::Sent {
                comment: Some("Thái độ tốt".into()),
                complaint: false
            })
        );
    }

    #[test]
    fn a_complaint_without_words_is_still_a_complaint() {
        let mut state = State::default();
        let _ = state.update(Message::Complaint);
        assert_eq!(
            state.update(Message::Send),
            Some(Event::Sent {
                comment: None,
                complaint: true
            })
        );
    }

    #[test]
    fn sending_nothing_is_skipping() {
        let mut state = State::default();
        press(&mut state, "   ");
        assert_eq!(state.update(Message::Send), Some(Event::Skipped));
    }
}
