//! Small drawn icons for the words on buttons (the font has no such glyphs).

use iced::widget::canvas::{self, Frame, Geometry, Path, Stroke};
use iced::{Length, Point, Rectangle, Renderer, Theme, mouse};

use crate::theme::palette;

/// A circle half filled: the usual sign of contrast settings. `side` in design units;
/// `selected` when drawn on a selected button (its text colour differs).
pub fn contrast_icon<'a, Message: 'a>(
    side: f32,
    selected: bool,
) -> crate::widget::Element<'a, Message> {
    canvas::Canvas::new(Contrast { selected })
        .width(Length::Fixed(side))
        .height(Length::Fixed(side))
        .into()
}

#[derive(Debug, Clone, Copy)]
struct Contrast {
    selected: bool,
}

impl<Message> canvas::Program<Message> for Contrast {
    type State = ();

    fn draw(
        &self,
        _state: &(),
        renderer: &Renderer,
        theme: &Theme,
        bounds: Rectangle,
        _cursor: mouse::Cursor,
    ) -> Vec<Geometry> {
        let p = palette(theme);
        let ink = if self.selected { p.on_selected } else { p.text };
        let mut frame = Frame::new(renderer, bounds.size());
        let center = Point::new(bounds.width / 2.0, bounds.height / 2.0);
        let radius = bounds.width.min(bounds.height) * 0.42;
        let half = Path::new(|p| {
            p.move_to(Point::new(center.x, center.y - radius));
            p.arc(canvas::path::Arc {
                center,
                radius,
                start_angle: iced::Radians(-std::f32::consts::FRAC_PI_2),
                end_angle: iced::Radians(std::f32::consts::FRAC_PI_2),
            });
            p.close();
        });
        frame.fill(&half, ink);
        frame.stroke(
            &Path::circle(center, radius),
            Stroke::default().with_color(ink).with_width(radius * 0.18),
        );
        vec![frame.into_geometry()]
    }
}
