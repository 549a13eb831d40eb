//! Update requests from flags: the `update_mask` names exactly the fields whose flags were given,
//! because the hub reads an empty mask as "replace every field".

use clap::Args;
use prost_types::FieldMask;

use super::CliError;
use crate::proto::DateWindow;

/// The fields an update sets, collected while the flags are copied into the record.
#[derive(Debug, Default)]
pub struct Mask(Vec<String>);

impl Mask {
    /// Sets `target` and names `path` when the flag was given.
    pub fn set<T>(&mut self, path: &str, value: Option<T>, target: &mut T) {
        if let Some(value) = value {
            *target = value;
            self.0.push(path.to_owned());
        }
    }

    /// Sets a repeated field when its flag was given at least once.
    pub fn set_list<T>(&mut self, path: &str, values: Vec<T>, target: &mut Vec<T>) {
        self.set(path, (!values.is_empty()).then_some(values), target);
    }

    /// The mask, or an error when no field flag was given: sending an empty mask would
    /// overwrite every field with blanks.
    pub fn finish(self, command: &str) -> Result<Option<FieldMask>, CliError> {
        if self.0.is_empty() {
            return Err(
                format!("nothing to update: give at least one field (see `capacity-hub {command} --help`)").into(),
            );
        }
        Ok(Some(FieldMask { paths: self.0 }))
    }
}

/// The dates a need or offer is valid for.
#[derive(Debug, Args)]
pub struct WindowArgs {
    /// First day, as YYYY-MM-DD.
    #[arg(long)]
    pub start_date: Option<String>,
    /// Last day, as YYYY-MM-DD (none: open-ended).
    #[arg(long)]
    pub end_date: Option<String>,
}

impl WindowArgs {
    /// Whether either date was given.
    pub fn is_given(&self) -> bool {
        self.start_date.is_some() || self.end_date.is_some()
    }

    /// The window with the given dates over `current`: the hub replaces a window whole, so
    /// `--end-date` alone must carry the start date it keeps.
    pub fn over(self, current: Option<DateWindow>) -> DateWindow {
        let current = current.unwrap_or_default();
        DateWindow {
            start_date: self.start_date.unwrap_or(current.start_date),
            end_date: self.end_date.unwrap_or(current.end_date),
        }
    }

    /// The window for a new record, or none when no date was given.
    pub fn into_window(self) -> Option<DateWindow> {
        self.is_given().then(|| self.over(None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mask_names_the_flags_given() -> Result<(), CliError> {
        let (mut title, mut themes, mut level) = (String::new(), vec![1], 0);
        let mut mask = Mask::default();
        mask.set("title", Some("New".to_owned()), &mut title);
        mask.set_list("themes", Vec::new(), &mut themes);
        mask.set("level", None, &mut level);
        let paths = mask.finish("needs update")?.map(|mask| mask.paths);
        assert_eq!(paths, Some(vec!["title".to_owned()]));
        assert_eq!((title.as_str(), themes, level), ("New", vec![1], 0));
        assert!(Mask::default().finish("needs update").is_err());
        Ok(())
    }

    #[test]
    fn one_date_keeps_the_other() {
        let args = WindowArgs {
            start_date: None,
            end_date: Some("2026-12-31".to_owned()),
        };
        let current = DateWindow {
            start_date: "2026-01-01".to_owned(),
            end_date: String::new(),
        };
        let window = args.over(Some(current));
        assert_eq!(
            (window.start_date.as_str(), window.end_date.as_str()),
            ("2026-01-01", "2026-12-31")
        );
    }
}
