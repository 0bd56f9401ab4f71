//! The one embedded font (Noto Sans, full Vietnamese coverage; licence in assets/fonts/OFL.txt).
//!
//! It must be the default font of the app and of every iced_test Simulator: without it,
//! cosmic-text shapes ASCII-only text with another face than Vietnamese text on the same screen.

use std::borrow::Cow;

use iced::Font;
use iced::font::Weight;

/// Noto Sans Regular.
pub const REGULAR_BYTES: &[u8] = include_bytes!("../assets/fonts/NotoSans-Regular.ttf");
/// Noto Sans Bold.
pub const BOLD_BYTES: &[u8] = include_bytes!("../assets/fonts/NotoSans-Bold.ttf");

/// The default face.
pub const REGULAR: Font = Font::with_name("Noto Sans");
/// Bold, for questions and the words under faces.
pub const BOLD: Font = Font {
    weight: Weight::Bold,
    ..REGULAR
};

/// The font files to load before anything is drawn.
pub fn files() -> Vec<Cow<'static, [u8]>> {
    vec![Cow::Borrowed(REGULAR_BYTES), Cow::Borrowed(BOLD_BYTES)]
}

/// The iced settings with our font as the default; used by the app and by UI tests alike.
pub fn settings() -> iced::Settings {
    iced::Settings {
        fonts: files(),
        default_font: REGULAR,
        default_text_size: crate::theme::text_size::BODY.into(),
        antialiasing: true,
        ..iced::Settings::default()
    }
}
