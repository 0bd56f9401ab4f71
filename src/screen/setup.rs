//! The first-start screen of a terminal that is neither provisioned nor in demo mode: the
//! technician enrolls it with the provincial server (address and one-time code on the keypad,
//! or scanned), or provisions it from a file on a USB stick. It says what it did, or what
//! failed, in plain words.

use std::path::PathBuf;

use iced::widget::{button, column, container, row, text};
use iced::{Alignment, Length, Size};

use super::{Context, primary, title};
use crate::font;
use crate::theme::{self, size, text_size};
use crate::widget::Element;
use crate::widget::keypad::{Key, Sizes, keypad};

/// The field the keypad types into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Server,
    Code,
}

/// The outcome shown under the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Working,
    Failed(String),
}

/// What is typed and found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct State {
    pub server: String,
    pub code: String,
    pub focus: Field,
    /// Provisioning files found on USB sticks.
    pub files: Vec<PathBuf>,
    pub outcome: Option<Outcome>,
}

impl Default for State {
    fn default() -> Self {
        Self {
            server: "https://".to_owned(),
            code: String::new(),
            focus: Field::Server,
            files: Vec::new(),
            outcome: None,
        }
    }
}

/// What a technician (or a scanner) can do here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    Focus(Field),
    /// A key of the keypad, or a character from a scanner or keyboard.
    Char(char),
    Backspace,
    /// Replace the scheme of the address.
    Scheme(&'static str),
    /// Enter, or the Enroll button.
    Enroll,
    UseFile(PathBuf),
    Rescan,
}

/// What the app should do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Enroll { server: String, code: String },
    UseFile(PathBuf),
    Rescan,
}

impl State {
    /// Handles a message.
    pub fn update(&mut self, message: Message) -> Option<Event> {
        if self.outcome == Some(Outcome::Working) {
            return None;
        }
        match message {
            Message::Focus(field) => {
                self.focus = field;
                None
            }
            Message::Char(c) => {
                // A scanned enrollment QR reads "ADDRESS CODE".
                if c == ' ' && self.focus == Field::Server {
                    self.focus = Field::Code;
                } else if !c.is_control() {
                    let field = match self.focus {
                        Field::Server => &mut self.server,
                        Field::Code => &mut self.code,
                    };
                    if field.len() < 200 {
                        field.push(c);
                    }
                }
                None
            }
            Message::Backspace => {
                let _ = match self.focus {
                    Field::Server => self.server.pop(),
                    Field::Code => self.code.pop(),
                };
                None
            }
            Message::Scheme(scheme) => {
                let rest = self
                    .server
                    .split_once("://")
                    .map_or(self.server.as_str(), |(_, rest)| rest)
                    .to_owned();
                self.server = format!("{scheme}{rest}");
                self.focus = Field::Server;
                None
            }
            Message::Enroll => {
                self.outcome = Some(Outcome::Working);
                Some(Event::Enroll {
                    server: self.server.clone(),
                    code: self.code.clone(),
                })
            }
            Message::UseFile(path) => {
                self.outcome = Some(Outcome::Working);
                Some(Event::UseFile(path))
            }
            Message::Rescan => Some(Event::Rescan),
        }
    }

    /// The screen.
    pub fn view<'a>(&self, ctx: &Context<'_>) -> Element<'a, Message> {
        let field = |label: String, value: &str, which: Field| -> Element<'a, Message> {
            let focused = self.focus == which;
            button(
                column![
                    text(label).size(text_size::SMALL),
                    text(value.to_owned())
                        .size(text_size::ANSWER)
                        .font(font::BOLD),
                ]
                .spacing(2)
                .padding([4.0, 12.0]),
            )
            .on_press(Message::Focus(which))
            .width(Length::Fill)
            .height(size::TOUCH_MIN + 12.0)
            .style(if focused {
                theme::selected_button
            } else {
                theme::secondary_button
            })
            .into()
        };
        let ch = |c: char| Some(Key::char(c, Message::Char(c)));
        let word = |label: &str, message: Message| Some(Key::word(label.to_owned(), message));
        let keypad = keypad(
            vec![
                vec![ch('1'), ch('2'), ch('3'), ch('.')],
                vec![ch('4'), ch('5'), ch('6'), ch(':')],
                vec![ch('7'), ch('8'), ch('9'), ch('/')],
                vec![
                    word("https://", Message::Scheme("https://")),
                    ch('0'),
                    word("http://", Message::Scheme("http://")),
                    Some(Key {
                        label: ctx.tr("action-delete"),
                        message: Message::Backspace,
                        word: false,
                    }),
                ],
            ],
            Sizes {
                key: Size::new(96.0, 64.0),
                char_text: text_size::ANSWER,
                word_text: text_size::SMALL,
                spacing: 10.0,
            },
        );
        let server_side = column![
            text(ctx.tr("setup-from-server"))
                .size(text_size::ANSWER)
                .font(font::BOLD),
            field(ctx.tr("setup-server"), &self.server, Field::Server),
            field(ctx.tr("setup-code"), &self.code, Field::Code),
            primary(ctx, ctx.tr("setup-enroll"), Message::Enroll),
        ]
        .spacing(12)
        .width(Length::FillPortion(3));
        let mut usb = column![
            text(ctx.tr("setup-from-usb"))
                .size(text_size::ANSWER)
                .font(font::BOLD),
        ]
        .spacing(12);
        if self.files.is_empty() {
            usb = usb.push(
                text(ctx.tr("setup-no-file"))
                    .size(text_size::BODY)
                    .style(theme::muted_text),
            );
        }
        for file in &self.files {
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            usb = usb.push(
                button(
                    container(text(name).size(text_size::BODY).font(font::BOLD))
                        .center_y(Length::Fill)
                        .padding([0.0, 10.0]),
                )
                .on_press(Message::UseFile(file.clone()))
                .width(Length::Fill)
                .height(size::TOUCH_MIN)
                .style(theme::secondary_button),
            );
        }
        usb = usb.push(super::secondary(
            ctx,
            ctx.tr("setup-rescan"),
            Message::Rescan,
        ));
        let outcome: Element<'a, Message> = match &self.outcome {
            None => text(ctx.tr("setup-hint"))
                .size(text_size::BODY)
                .style(theme::muted_text)
                .into(),
            Some(Outcome::Working) => text(ctx.tr("setup-working")).size(text_size::BODY).into(),
            Some(Outcome::Failed(reason)) => {
                text(ctx.tr_args("setup-failed", &[("reason", reason.clone())]))
                    .size(text_size::BODY)
                    .style(theme::alert_text)
                    .into()
            }
        };
        let body = column![
            title(ctx, ctx.tr("setup-title"), None),
            outcome,
            row![server_side, keypad, usb.width(Length::FillPortion(2))]
                .spacing(size::GAP * 2.0)
                .align_y(Alignment::Start),
        ]
        .spacing(14);
        super::setup_page(ctx, body.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scanned_address_and_code_fill_both_fields() {
        let mut state = State::default();
        state.server.clear();
        for c in "https://hailong.tinh.gov.vn 1234567890".chars() {
            let _ = state.update(Message::Char(c));
        }
        assert_eq!(state.server, "https://hailong.tinh.gov.vn");
        assert_eq!(state.code, "1234567890");
        assert_eq!(
            state.update(Message::Enroll),
            Some(Event::Enroll {
                server: "https://hailong.tinh.gov.vn".into(),
                code: "1234567890".into()
            })
        );
        // While working, nothing else is taken.
        assert_eq!(state.update(Message::Char('9')), None);
        assert_eq!(state.code, "1234567890");
    }

    #[test]
    fn the_scheme_buttons_replace_the_scheme() {
        let mut state = State::default();
        for c in "10.0.0.5:8080".chars() {
            let _ = state.update(Message::Char(c));
        }
        let _ = state.update(Message::Scheme("http://"));
        assert_eq!(state.server, "http://10.0.0.5:8080");
    }
}
