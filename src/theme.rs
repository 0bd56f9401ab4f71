//! The look: a palette of named roles, per-widget styles, and size constants.
//!
//! Everything is laid out for a logical screen 800 units high; the app scales the whole UI to
//! the real window (1280x800 shows at 1.0, 1920x1080 at 1.35), so sizes here are the same
//! fraction of the screen on every kiosk.

use iced::widget::{button, container, text};
use iced::{Background, Border, Color, Shadow, Theme, color};

use crate::survey::Sentiment;

/// Height the layouts are designed for; the app scales to the window from it.
pub const DESIGN_HEIGHT: f32 = 800.0;

/// Text sizes, in design units.
pub mod text_size {
    /// The question on the rating screen (about 5% of the screen height).
    pub const QUESTION: f32 = 42.0;
    /// Titles of follow-up screens.
    pub const TITLE: f32 = 38.0;
    /// The word under a face.
    pub const LEVEL: f32 = 32.0;
    /// Answers and reasons on buttons.
    pub const ANSWER: f32 = 28.0;
    /// Body text and hints.
    pub const BODY: f32 = 24.0;
    /// The commune's name in the header.
    pub const COMMUNE: f32 = 30.0;
    /// Small print (counter, officer, province).
    pub const SMALL: f32 = 22.0;
    /// Digits on the keypad.
    pub const KEY: f32 = 40.0;
}

/// Touch target sizes, in design units.
pub mod size {
    /// The smallest height of anything a citizen taps.
    pub const TOUCH_MIN: f32 = 72.0;
    /// Height of a level button's face.
    pub const FACE: f32 = 150.0;
    /// Padding inside the screen edges.
    pub const EDGE: f32 = 28.0;
    /// Space between tappable things (so a finger does not hit two).
    pub const GAP: f32 = 20.0;
    /// Corner radius of buttons and cards.
    pub const RADIUS: f32 = 18.0;
    /// Border of level buttons.
    pub const LEVEL_BORDER: f32 = 5.0;
    /// Height of the header band.
    pub const HEADER: f32 = 104.0;
    /// Height of the header band when it shows the photo of the staff member on duty.
    pub const HEADER_WITH_PHOTO: f32 = 132.0;
    /// A staff photo in the header, 3:4 like an ID photo: about 42 x 31 mm on a 21.5"
    /// screen, a face an elderly citizen knows again from half a metre.
    pub const PHOTO_HEIGHT: f32 = 116.0;
    pub const PHOTO_WIDTH: f32 = 87.0;
    /// A keypad key.
    pub const KEY: f32 = 88.0;
}

/// Colours by role. Text colours are chosen for at least 4.5:1 contrast on the backgrounds
/// they are used on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Palette {
    /// The page background: light and calm.
    pub background: Color,
    /// Cards and buttons that are not coloured.
    pub surface: Color,
    /// Main text.
    pub text: Color,
    /// Secondary text (hints, small print).
    pub muted: Color,
    /// The commune's identity colour: the header band and the main action.
    pub accent: Color,
    /// Text on the accent colour.
    pub on_accent: Color,
    /// Outline of secondary buttons.
    pub outline: Color,
    /// A selected choice (reasons).
    pub selected: Color,
    /// Text on a selected choice.
    pub on_selected: Color,
    /// The DEMO badge.
    pub warning: Color,
    /// Text on the DEMO badge.
    pub on_warning: Color,
    /// Apology and storage-trouble banner.
    pub alert: Color,
    /// Text on the alert banner.
    pub on_alert: Color,
    /// The satisfaction levels, least satisfied first (see [`level_colors`]).
    pub levels: [LevelColors; 5],
}

/// How the citizen screens look: chosen by the citizen on the first screen, back to the
/// standard look for the next citizen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Look {
    /// White text on black, yellow actions.
    pub high_contrast: bool,
    /// Every text of the citizen screens [`LARGE_TEXT`] times larger.
    pub large_text: bool,
}

/// How much larger text is in large-text mode.
pub const LARGE_TEXT: f32 = 1.3;

impl Look {
    /// The factor applied to citizen text sizes.
    pub fn text_scale(self) -> f32 {
        if self.large_text { LARGE_TEXT } else { 1.0 }
    }

    /// This look's colours.
    pub fn palette(self) -> &'static Palette {
        if self.high_contrast {
            &HIGH_CONTRAST
        } else {
            &PALETTE
        }
    }

    /// The iced theme carrying this look's palette.
    pub fn theme(self) -> Theme {
        if self.high_contrast {
            theme_of(HIGH_CONTRAST_NAME, &HIGH_CONTRAST)
        } else {
            theme_of(STANDARD_NAME, &PALETTE)
        }
    }
}

const STANDARD_NAME: &str = "Hài Lòng";
const HIGH_CONTRAST_NAME: &str = "Hài Lòng — tương phản cao";

/// The palette a theme made by [`Look::theme`] carries (the standard one for any other).
/// Called by every style on every frame: it compares a colour, it allocates nothing.
pub fn palette(theme: &Theme) -> &'static Palette {
    if matches!(theme, Theme::Custom(_)) && theme.palette().background == HIGH_CONTRAST.background {
        &HIGH_CONTRAST
    } else {
        &PALETTE
    }
}

/// Every palette, for the contrast test.
pub const PALETTES: [(&str, &Palette); 2] =
    [("standard", &PALETTE), ("high contrast", &HIGH_CONTRAST)];

/// The high-contrast palette: white text on black, black text on yellow actions.
pub const HIGH_CONTRAST: Palette = Palette {
    background: color!(0x000000),
    surface: color!(0x000000),
    text: color!(0xffffff),
    muted: color!(0xe6e6e6),
    accent: color!(0xffd400),
    on_accent: color!(0x000000),
    outline: color!(0xffffff),
    selected: color!(0xffd400),
    on_selected: color!(0x000000),
    // White, so that the DEMO strip stands apart from the yellow header.
    warning: color!(0xffffff),
    on_warning: color!(0x000000),
    alert: color!(0xff8a80),
    on_alert: color!(0x000000),
    levels: [
        LevelColors {
            strong: color!(0xff5c5c),
            tint: color!(0x000000),
        },
        LevelColors {
            strong: color!(0xff9f43),
            tint: color!(0x000000),
        },
        LevelColors {
            strong: color!(0xffe14d),
            tint: color!(0x000000),
        },
        LevelColors {
            strong: color!(0x9be15d),
            tint: color!(0x000000),
        },
        LevelColors {
            strong: color!(0x4cf08f),
            tint: color!(0x000000),
        },
    ],
};

/// The standard palette.
pub const PALETTE: Palette = Palette {
    background: color!(0xf4f1ea),
    surface: color!(0xffffff),
    text: color!(0x1b1b1b),
    muted: color!(0x4a4a4a),
    accent: color!(0x0b4a8b),
    on_accent: color!(0xffffff),
    outline: color!(0x5c5c5c),
    selected: color!(0x0b4a8b),
    on_selected: color!(0xffffff),
    warning: color!(0xffd54a),
    on_warning: color!(0x1b1b1b),
    alert: color!(0x9b1c1c),
    on_alert: color!(0xffffff),
    levels: [
        LevelColors {
            strong: color!(0x9b1c1c),
            tint: color!(0xfbe4e4),
        },
        LevelColors {
            strong: color!(0xc2410c),
            tint: color!(0xfdebdc),
        },
        LevelColors {
            strong: color!(0x6e5800),
            tint: color!(0xfbf3d5),
        },
        LevelColors {
            strong: color!(0x3f7d20),
            tint: color!(0xe6f2dc),
        },
        LevelColors {
            strong: color!(0x17693a),
            tint: color!(0xd8efe0),
        },
    ],
};

/// The colours of one satisfaction level: a strong colour for the face and border, a light
/// tint behind dark text. The face and the word carry the meaning; colour only helps.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LevelColors {
    pub strong: Color,
    pub tint: Color,
}

impl Palette {
    /// Colours from red (least satisfied) to green (most).
    pub fn level(&self, sentiment: Sentiment) -> LevelColors {
        self.levels[match sentiment {
            Sentiment::VeryUnsatisfied => 0,
            Sentiment::Unsatisfied => 1,
            Sentiment::Neutral => 2,
            Sentiment::Satisfied => 3,
            Sentiment::VerySatisfied => 4,
        }]
    }
}

/// The standard colours of a level (charts for staff, which always use the standard look).
pub fn level_colors(sentiment: Sentiment) -> LevelColors {
    PALETTE.level(sentiment)
}

/// The standard iced theme.
pub fn theme() -> Theme {
    Look::default().theme()
}

/// A palette mapped onto iced's base colours, under `name` (how [`palette`] finds it again).
fn theme_of(name: &str, p: &Palette) -> Theme {
    Theme::custom(
        name.to_owned(),
        iced::theme::Palette {
            background: p.background,
            text: p.text,
            primary: p.accent,
            success: p.level(Sentiment::VerySatisfied).strong,
            warning: p.warning,
            danger: p.alert,
        },
    )
}

/// Secondary text (hints).
pub fn muted_text(theme: &Theme) -> text::Style {
    text::Style {
        color: Some(palette(theme).muted),
    }
}

/// Text that warns (a wrong PIN, a failed write).
pub fn alert_text(theme: &Theme) -> text::Style {
    text::Style {
        color: Some(palette(theme).alert_on_background()),
    }
}

impl Palette {
    /// The accent colour as text on a card (the word being composed).
    pub fn accent_on_surface(&self) -> Color {
        self.accent
    }

    /// The alert colour as text on the page background: the banner colour where it reads on
    /// it, else the banner's own text colour.
    pub fn alert_on_background(&self) -> Color {
        if contrast(self.alert, self.background) >= 4.5 {
            self.alert
        } else {
            self.on_alert
        }
    }
}

fn rounded(width: f32, color: Color) -> Border {
    Border {
        color,
        width,
        radius: size::RADIUS.into(),
    }
}

/// A pressed button darkens a little; hovered looks like active, because a touch leaves the
/// cursor where it tapped and a sticky hover would look like a selection.
fn pressed(style: button::Style, status: button::Status) -> button::Style {
    match status {
        button::Status::Pressed => button::Style {
            shadow: Shadow::default(),
            background: style.background.map(|b| match b {
                Background::Color(c) => Background::Color(darken(c, 0.08)),
                other => other,
            }),
            ..style
        },
        _ => style,
    }
}

fn darken(color: Color, amount: f32) -> Color {
    Color {
        r: (color.r - amount).max(0.0),
        g: (color.g - amount).max(0.0),
        b: (color.b - amount).max(0.0),
        a: color.a,
    }
}

/// The big level button of one sentiment.
pub fn level_button(sentiment: Sentiment) -> impl Fn(&Theme, button::Status) -> button::Style {
    move |theme, status| {
        let p = palette(theme);
        let colors = p.level(sentiment);
        pressed(
            button::Style {
                background: Some(colors.tint.into()),
                text_color: p.text,
                border: rounded(size::LEVEL_BORDER, colors.strong),
                shadow: Shadow::default(),
                snap: true,
            },
            status,
        )
    }
}

/// The main action of a screen (Done, Continue).
pub fn primary_button(theme: &Theme, status: button::Status) -> button::Style {
    let p = palette(theme);
    pressed(
        button::Style {
            background: Some(p.accent.into()),
            text_color: p.on_accent,
            border: rounded(0.0, p.accent),
            shadow: Shadow::default(),
            snap: true,
        },
        status,
    )
}

/// A secondary action (Skip) and unselected choices.
pub fn secondary_button(theme: &Theme, status: button::Status) -> button::Style {
    let p = palette(theme);
    pressed(
        button::Style {
            background: Some(p.surface.into()),
            text_color: p.text,
            border: rounded(3.0, p.outline),
            shadow: Shadow::default(),
            snap: true,
        },
        status,
    )
}

/// A choice that is selected (reasons, the current language).
pub fn selected_button(theme: &Theme, status: button::Status) -> button::Style {
    let p = palette(theme);
    pressed(
        button::Style {
            background: Some(p.selected.into()),
            text_color: p.on_selected,
            border: rounded(3.0, p.selected),
            shadow: Shadow::default(),
            snap: true,
        },
        status,
    )
}

/// A language button on the accent header.
pub fn language_button(active: bool) -> impl Fn(&Theme, button::Status) -> button::Style {
    move |theme, status| {
        let p = palette(theme);
        let style = if active {
            button::Style {
                background: Some(p.on_accent.into()),
                text_color: p.accent,
                border: rounded(3.0, p.on_accent),
                shadow: Shadow::default(),
                snap: true,
            }
        } else {
            button::Style {
                background: Some(p.accent.into()),
                text_color: p.on_accent,
                border: rounded(3.0, p.on_accent),
                shadow: Shadow::default(),
                snap: true,
            }
        };
        pressed(style, status)
    }
}

/// The header band in the commune's colour.
pub fn header(theme: &Theme) -> container::Style {
    let p = palette(theme);
    container::Style {
        text_color: Some(p.on_accent),
        background: Some(p.accent.into()),
        ..container::Style::default()
    }
}

/// The light frame around a staff photo on the header band.
pub fn photo_frame(theme: &Theme) -> container::Style {
    let p = palette(theme);
    container::Style {
        background: Some(p.on_accent.into()),
        border: Border {
            radius: 10.0.into(),
            ..Border::default()
        },
        ..container::Style::default()
    }
}

/// The DEMO badge.
pub fn demo_badge(theme: &Theme) -> container::Style {
    let p = palette(theme);
    container::Style {
        text_color: Some(p.on_warning),
        background: Some(p.warning.into()),
        ..container::Style::default()
    }
}

/// The apology / storage trouble banner.
pub fn alert_banner(theme: &Theme) -> container::Style {
    let p = palette(theme);
    container::Style {
        text_color: Some(p.on_alert),
        background: Some(p.alert.into()),
        ..container::Style::default()
    }
}

/// A white card (the dossier code display).
pub fn card(theme: &Theme) -> container::Style {
    let p = palette(theme);
    container::Style {
        text_color: Some(p.text),
        background: Some(p.surface.into()),
        border: rounded(3.0, p.outline),
        ..container::Style::default()
    }
}

/// WCAG 2.x contrast ratio of two opaque colours.
pub fn contrast(a: Color, b: Color) -> f32 {
    fn channel(c: f32) -> f32 {
        if c <= 0.039_28 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    }
    fn luminance(c: Color) -> f32 {
        0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b)
    }
    let (la, lb) = (luminance(a), luminance(b));
    let (hi, lo) = if la > lb { (la, lb) } else { (lb, la) };
    (hi + 0.05) / (lo + 0.05)
}

/// Logical units per millimetre on a screen of `width_px` x `height_px` physical pixels and a
/// diagonal of `diagonal_inch`, when the UI is scaled by `scale`.
pub fn units_per_mm(width_px: f32, height_px: f32, diagonal_inch: f32, scale: f32) -> f32 {
    let px_per_mm = (width_px.hypot(height_px)) / (diagonal_inch * 25.4);
    px_per_mm / scale
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Sentiment; 5] = [
        Sentiment::VeryUnsatisfied,
        Sentiment::Unsatisfied,
        Sentiment::Neutral,
        Sentiment::Satisfied,
        Sentiment::VerySatisfied,
    ];

    #[test]
    fn every_text_and_background_pair_meets_wcag_aa() {
        for (look, p) in PALETTES {
            pairs_meet_aa(look, p);
        }
    }

    fn pairs_meet_aa(look: &str, p: &Palette) {
        let pairs = [
            ("text on background", p.text, p.background),
            ("muted on background", p.muted, p.background),
            ("text on surface", p.text, p.surface),
            ("muted on surface", p.muted, p.surface),
            ("on_accent on accent", p.on_accent, p.accent),
            ("accent on on_accent", p.accent, p.on_accent),
            ("on_selected on selected", p.on_selected, p.selected),
            ("on_warning on warning", p.on_warning, p.warning),
            ("on_alert on alert", p.on_alert, p.alert),
            (
                "alert text on background",
                p.alert_on_background(),
                p.background,
            ),
            ("text on selected check", p.accent, p.surface),
        ];
        for (name, fg, bg) in pairs {
            let ratio = contrast(fg, bg);
            assert!(ratio >= 4.5, "{look}: {name}: {ratio:.2}:1 is below 4.5:1");
        }
        for sentiment in ALL {
            let colors = p.level(sentiment);
            let ratio = contrast(p.text, colors.tint);
            assert!(ratio >= 4.5, "{look}: {sentiment:?} word: {ratio:.2}:1");
            // The face and border are graphics: WCAG asks 3:1 against what is around them.
            let edge = contrast(colors.strong, colors.tint);
            assert!(edge >= 3.0, "{look}: {sentiment:?} face: {edge:.2}:1");
        }
        // Outlines of buttons and keys against the page.
        let outline = contrast(p.outline, p.background);
        assert!(outline >= 3.0, "{look}: outline {outline:.2}:1");
    }

    #[test]
    fn the_theme_carries_its_palette() {
        let high = Look {
            high_contrast: true,
            large_text: false,
        };
        assert_eq!(palette(&high.theme()), &HIGH_CONTRAST);
        assert_eq!(palette(&Look::default().theme()), &PALETTE);
        assert_eq!(palette(&Theme::Dark), &PALETTE);
    }

    #[test]
    fn neighbouring_levels_differ_in_lightness_not_only_hue() {
        // So that the row still reads as a scale for someone who cannot tell red from green.
        for (look, p) in PALETTES {
            let strong: Vec<Color> = ALL.iter().map(|s| p.level(*s).strong).collect();
            for pair in strong.windows(2) {
                assert!(
                    contrast(pair[0], pair[1]) > 1.05,
                    "{look}: {:?} and {:?}",
                    pair[0],
                    pair[1]
                );
            }
        }
    }

    #[test]
    fn touch_targets_are_at_least_nine_millimetres() {
        // The biggest, least dense kiosk we support: 27" at 1280x800 scaled 1.0, and the
        // common 21.5" full HD scaled 1.35.
        for (w, h, diagonal) in [(1280.0, 800.0, 27.0), (1920.0, 1080.0, 21.5)] {
            let scale = h / DESIGN_HEIGHT;
            let nine_mm = 9.0 * units_per_mm(w, h, diagonal, scale);
            assert!(
                size::TOUCH_MIN >= nine_mm,
                "{w}x{h} at {diagonal}\": {} < {nine_mm}",
                size::TOUCH_MIN
            );
        }
    }
}
