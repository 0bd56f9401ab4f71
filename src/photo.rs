//! Staff photos for the citizen screens' header (`photo = "photos/nv-lan.jpg"` on a staff
//! member, relative to the configuration directory).
//!
//! Read and decoded once, off the UI thread, when the configuration is loaded or replaced, and
//! scaled down to what the header draws, so drawing never decodes. A photo that is missing,
//! unreadable or not a picture is a warning (in the log and in `hailong doctor`), never a
//! crash: the name shows without it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use iced::widget::image::Handle;

use crate::config::Staff;

/// Height in pixels a photo is kept at: the header draws it [`crate::theme::size::PHOTO_HEIGHT`]
/// units high, and a full-HD screen draws a unit as 1.35 pixels.
pub const KEPT_HEIGHT: u32 = 160;

/// Why a staff member's photo cannot be shown.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhotoError {
    #[error("cannot read {path}: {reason}")]
    Read { path: PathBuf, reason: String },
    #[error("{path} is not a PNG or JPEG picture that can be read: {reason}")]
    Decode { path: PathBuf, reason: String },
}

/// A photo that could not be used, and whose it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The field in terminal.toml, e.g. `staff[0].photo`.
    pub field: String,
    pub staff_id: String,
    pub error: PhotoError,
}

/// The decoded photos, by staff id.
#[derive(Debug, Clone, Default)]
pub struct Photos {
    by_staff: BTreeMap<String, Handle>,
}

impl Photos {
    /// The photo of staff member `id`, if there is a usable one.
    pub fn get(&self, id: &str) -> Option<&Handle> {
        self.by_staff.get(id)
    }

    /// How many photos are usable.
    pub fn len(&self) -> usize {
        self.by_staff.len()
    }

    /// Whether no photo is usable.
    pub fn is_empty(&self) -> bool {
        self.by_staff.is_empty()
    }
}

/// Reads and decodes the photos of `staff`; each that cannot be used is logged as a warning
/// and returned as a problem. Blocking: call it off the UI thread.
pub fn load(config_dir: &Path, staff: &[Staff]) -> (Photos, Vec<Problem>) {
    let mut photos = Photos::default();
    let mut problems = Vec::new();
    for (i, member) in staff.iter().enumerate() {
        let Some(relative) = &member.photo else {
            continue;
        };
        match decode(&config_dir.join(relative)) {
            Ok(handle) => {
                let _ = photos.by_staff.insert(member.id.clone(), handle);
            }
            Err(error) => {
                tracing::warn!(staff = %member.id, %error, "staff photo not shown; the name shows alone");
                problems.push(Problem {
                    field: format!("staff[{i}].photo"),
                    staff_id: member.id.clone(),
                    error,
                });
            }
        }
    }
    (photos, problems)
}

/// The photo at `path`, scaled down to [`KEPT_HEIGHT`] pixels high, as RGBA for iced.
fn decode(path: &Path) -> Result<Handle, PhotoError> {
    let bytes = std::fs::read(path).map_err(|error| PhotoError::Read {
        path: path.to_path_buf(),
        reason: error.to_string(),
    })?;
    let picture = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|error| PhotoError::Read {
            path: path.to_path_buf(),
            reason: error.to_string(),
        })?
        .decode()
        .map_err(|error| PhotoError::Decode {
            path: path.to_path_buf(),
            reason: error.to_string(),
        })?;
    let picture = if picture.height() > KEPT_HEIGHT {
        picture.resize(u32::MAX, KEPT_HEIGHT, image::imageops::FilterType::Triangle)
    } else {
        picture
    };
    let rgba = picture.to_rgba8();
    Ok(Handle::from_rgba(
        rgba.width(),
        rgba.height(),
        rgba.into_raw(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn staff(id: &str, photo: Option<&str>) -> Staff {
        Staff {
            id: id.to_owned(),
            name: format!("Cán bộ {id}"),
            pin_hash: None,
            photo: photo.map(PathBuf::from),
        }
    }

    #[test]
    fn a_good_photo_is_kept_small_and_bad_ones_are_problems_not_failures() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join("photos")).expect("photos");
        let big = image::RgbImage::from_pixel(600, 800, image::Rgb([40, 90, 160]));
        big.save(dir.path().join("photos/lan.png")).expect("png");
        std::fs::write(dir.path().join("photos/hong.jpg"), b"not a picture").expect("junk");
        let (photos, problems) = load(
            dir.path(),
            &[
                staff("lan", Some("photos/lan.png")),
                staff("minh", Some("photos/khong-co.jpg")),
                staff("hong", Some("photos/hong.jpg")),
                staff("an", None),
            ],
        );
        assert_eq!(photos.len(), 1);
        assert!(photos.get("lan").is_some());
        assert!(photos.get("an").is_none());
        let fields: Vec<(&str, bool)> = problems
            .iter()
            .map(|p| {
                (
                    p.field.as_str(),
                    matches!(p.error, PhotoError::Decode { .. }),
                )
            })
            .collect();
        assert_eq!(
            fields,
            [("staff[1].photo", false), ("staff[2].photo", true)]
        );
        let Some(Handle::Rgba { width, height, .. }) = photos.get("lan") else {
            panic!("decoded to RGBA");
        };
        assert_eq!((*width, *height), (120, KEPT_HEIGHT));
    }
}
