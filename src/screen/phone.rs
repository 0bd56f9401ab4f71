//! The call-back number, after consent: typed on a large keypad, checked as a Vietnamese phone
//! number. It shows only while being typed; no screen shows it afterwards.

use iced::widget::{column, container, row, text};
use iced::{Alignment, Length, Size};

use super::{Context, bottom_bar, page, primary, skip, title};
use crate::font;
use crate::theme::{self, size, text_size};
use crate::widget::Element;
use crate::widget::keypad::{Key, Sizes, keypad};

/// Most digits accepted (a landline has 11).
const MAX_DIGITS: usize = 12;

/// The number typed so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct State {
    digits: String,
    /// The last Done was refused.
    invalid: bool,
}

/// What a citizen can do here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Message {
    Digit(char),
    Backspace,
    Clear,
    Done,
    Skip,
}

/// What the app should do.
#[derive(Clone, PartialEq, Eq)]
pub enum Event {
    /// A valid number, in national form.
    Entered(String),
    /// No number after all.
    Skipped,
}

/// Never print the number.
impl std::fmt::Debug for Event {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Entered(_) => f.write_str("Entered(<redacted>)"),
            Self::Skipped => f.write_str("Skipped"),
        }
    }
}

impl State {
    /// Whether the last Done was refused.
    pub fn invalid(&self) -> bool {
        self.invalid
    }

    /// Handles a message.
    pub fn update(&mut self, message: Message) -> Option<Event> {
        match message {
            Message::Digit(c) => {
                if c.is_ascii_digit() && self.digits.len() < MAX_DIGITS {
                    self.digits.push(c);
                    self.invalid = false;
                }
                None
            }
            Message::Backspace => {
                let _ = self.digits.pop();
                self.invalid = false;
                None
            }
            Message::Clear => {
                self.digits.clear();
                self.invalid = false;
                None
            }
            Message::Done => match hailong_protocol::normalize_phone(&self.digits) {
                Some(phone) => Some(Event::Entered(phone)),
                None => {
                    self.invalid = true;
                    None
                }
            },
            Message::Skip => Some(Event::Skipped),
        }
    }

    /// The digits in groups that are easy to check by eye: 0912 345 678.
    fn grouped(&self) -> String {
        let mut out = String::new();
        for (i, c) in self.digits.chars().enumerate() {
            if i == 4 || i == 7 {
                out.push(' ');
            }
            out.push(c);
        }
        out
    }

    /// The screen: the number as typed, a keypad, Skip and Done.
    pub fn view<'a>(&self, ctx: &Context<'_>) -> Element<'a, Message> {
        let shown = if self.digits.is_empty() {
            text(ctx.tr("phone-empty"))
                .size(ctx.text(text_size::ANSWER))
                .style(theme::muted_text)
        } else {
            text(self.grouped())
                .size(ctx.text(text_size::KEY))
                .font(font::BOLD)
        };
        let display = container(shown)
            .center_y(size::TOUCH_MIN + 8.0)
            .padding([0.0, 20.0])
            .width(Length::Fill)
            .style(theme::card);
        let mut left = column![display].spacing(size::GAP);
        if self.invalid {
            left = left.push(
                text(ctx.tr("phone-invalid"))
                    .size(ctx.text(text_size::BODY))
                    .style(theme::alert_text),
            );
        }
        let digit = |c: char| Some(Key::char(c, Message::Digit(c)));
        let keypad = keypad(
            vec![
                vec![digit('1'), digit('2'), digit('3')],
                vec![digit('4'), digit('5'), digit('6')],
                vec![digit('7'), digit('8'), digit('9')],
                vec![
                    Some(Key::word(ctx.tr("action-clear"), Message::Clear)),
                    digit('0'),
                    Some(Key::word(ctx.tr("action-delete"), Message::Backspace)),
                ],
            ],
            Sizes {
                key: Size::new(size::KEY * 1.6, size::KEY - 4.0),
                char_text: ctx.text(text_size::KEY),
                word_text: ctx.text(text_size::BODY),
                spacing: 10.0,
            },
        );
        let done =
            (!self.digits.is_empty()).then(|| primary(ctx, ctx.tr("action-done"), Message::Done));
        let body = column![
            title(ctx, ctx.tr("phone-title"), Some(ctx.tr("phone-hint"))),
            row![
                container(left).width(Length::FillPortion(1)),
                container(keypad).width(Length::Shrink),
            ]
            .spacing(size::GAP * 2.0)
            .align_y(Alignment::Start)
            .height(Length::Fill),
            bottom_bar(skip(ctx, Message::Skip), done),
        ]
        .spacing(size::GAP);
        page(ctx, None, body.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(digits: &str) -> State {
        let mut state = State::default();
        for c in digits.chars() {
            assert_eq!(state.update(Message::Digit(c)), None);
        }
        state
    }

    #[test]
    fn a_mobile_number_is_taken() {
        let mut state = typed("0912345678");
        assert_eq!(state.grouped(), "0912 345 678");
        assert_eq!(
            state.update(Message::Done),
            Some(Event::Entered("0912345678".into()))
        );
    }

    #[test]
    fn a_wrong_number_is_refused_until_corrected() {
        let mut state = typed("091234567");
        assert_eq!(state.update(Message::Done), None);
        assert!(state.invalid());
        let _ = state.update(Message::Digit('8'));
        assert!(!state.invalid());
        assert_eq!(
            state.update(Message::Done),
            Some(Event::Entered("0912345678".into()))
        );
        let mut state = typed("1234567890");
        assert_eq!(state.update(Message::Done), None);
    }

    #[test]
    fn the_event_never_prints_the_number() {
        let event = Event::Entered("0912345678".into());
        assert!(!format!("{event:?}").contains("0912"));
    }
}
