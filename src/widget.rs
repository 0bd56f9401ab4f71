//! Reusable touch widgets.

pub mod chart;
pub mod check;
pub mod face;
pub mod hidden_cursor;
pub mod icon;
pub mod keyboard;
pub mod keypad;

/// Elements of this app.
pub type Element<'a, Message> = iced::Element<'a, Message>;
