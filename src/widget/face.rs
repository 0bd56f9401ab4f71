//! A face drawn on a canvas for each satisfaction level: no emoji font needed, and the mouth
//! alone tells the levels apart without colour.

use iced::widget::canvas::path::Builder;
use iced::widget::canvas::{self, Frame, Geometry, Path, Stroke};
use iced::{Color, Length, Point, Rectangle, Renderer, Theme, mouse};

use crate::survey::Sentiment;
use crate::theme::palette;

/// A face of `size` units for `sentiment`.
pub fn face<'a, Message: 'a>(
    sentiment: Sentiment,
    size: f32,
) -> crate::widget::Element<'a, Message> {
    canvas::Canvas::new(Face { sentiment })
        .width(Length::Fixed(size))
        .height(Length::Fixed(size))
        .into()
}

#[derive(Debug, Clone, Copy)]
struct Face {
    sentiment: Sentiment,
}

impl<Message> canvas::Program<Message> for Face {
    type State = ();

    fn draw(
        &self,
        _state: &(),
        renderer: &Renderer,
        theme: &Theme,
        bounds: Rectangle,
        _cursor: mouse::Cursor,
    ) -> Vec<Geometry> {
        let mut frame = Frame::new(renderer, bounds.size());
        let side = bounds.width.min(bounds.height);
        let center = Point::new(bounds.width / 2.0, bounds.height / 2.0);
        let radius = side * 0.46;
        // The face in the level's strong colour, drawn over with its light tint (white-ish on
        // the standard look, black on high contrast).
        let colors = palette(theme).level(self.sentiment);
        let strong = colors.strong;
        let ink = colors.tint;
        let line = side * 0.06;

        frame.fill(&Path::circle(center, radius), strong);

        // Eyes: round dots; worried brows on the unhappy faces.
        let eye_dx = radius * 0.36;
        let eye_y = center.y - radius * 0.22;
        let eye_r = radius * 0.11;
        for dx in [-eye_dx, eye_dx] {
            frame.fill(&Path::circle(Point::new(center.x + dx, eye_y), eye_r), ink);
        }
        if self.sentiment == Sentiment::VeryUnsatisfied {
            let brow = Path::new(|p: &mut Builder| {
                for dir in [-1.0f32, 1.0] {
                    p.move_to(Point::new(
                        center.x + dir * eye_dx * 1.45,
                        eye_y - radius * 0.30,
                    ));
                    p.line_to(Point::new(
                        center.x + dir * eye_dx * 0.55,
                        eye_y - radius * 0.20,
                    ));
                }
            });
            frame.stroke(&brow, stroke(ink, line * 0.8));
        }

        // Mouth: a curve whose bend goes from a deep frown to a wide smile.
        let bend = match self.sentiment {
            Sentiment::VeryUnsatisfied => -0.34,
            Sentiment::Unsatisfied => -0.2,
            Sentiment::Neutral => 0.0,
            Sentiment::Satisfied => 0.22,
            Sentiment::VerySatisfied => 0.38,
        };
        let half = radius
            * if self.sentiment == Sentiment::VerySatisfied {
                0.52
            } else {
                0.44
            };
        let mouth_y = center.y + radius * 0.34 - bend * radius * 0.5;
        let left = Point::new(center.x - half, mouth_y);
        let right = Point::new(center.x + half, mouth_y);
        let control = Point::new(center.x, mouth_y + bend * radius * 1.6);
        if self.sentiment == Sentiment::VerySatisfied {
            // An open smile, filled.
            let smile = Path::new(|p: &mut Builder| {
                p.move_to(left);
                p.quadratic_curve_to(control, right);
                p.close();
            });
            frame.fill(&smile, ink);
        } else {
            let mouth = Path::new(|p: &mut Builder| {
                p.move_to(left);
                p.quadratic_curve_to(control, right);
            });
            frame.stroke(&mouth, stroke(ink, line));
        }
        vec![frame.into_geometry()]
    }
}

fn stroke(color: Color, width: f32) -> Stroke<'static> {
    Stroke::default()
        .with_color(color)
        .with_width(width)
        .with_line_cap(canvas::LineCap::Round)
}
