//! The one directory walk of the workspace: rule packs, Cedar policies, rule tests and
//! inventory directories are all read through it, so they agree on what a directory holds.
//!
//! Depth first, sorted by file name in each directory, so a run reads its inputs in the same
//! order on every machine. Hidden entries (`.git`, `.DS_Store`) and symbolic links to
//! directories are not followed (a link cycle cannot loop). A folder or entry that cannot be
//! read is a [`WalkProblem`], never skipped quietly: a snapshot directory with an unreadable
//! account folder must not look like an account with no resources.

use std::path::{Path, PathBuf};

/// What a walk found.
#[derive(Debug, Default)]
pub struct Walk {
    /// The files kept, in walk order.
    pub files: Vec<PathBuf>,
    /// What could not be read, in walk order.
    pub problems: Vec<WalkProblem>,
}

/// A folder or entry that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("could not read `{}`: {error}", path.display())]
pub struct WalkProblem {
    pub path: PathBuf,
    #[source]
    pub error: std::io::Error,
}

/// The files below `root` whose path `keep` accepts; `root` itself when it is such a file
/// (a `.cedar` file named where rules are read is the Cedar backend's, not the rule
/// language's). When `root` does not exist or cannot be read, that is the walk's one
/// problem.
pub fn walk_files(root: &Path, keep: &dyn Fn(&Path) -> bool) -> Walk {
    let mut walk = Walk::default();
    match std::fs::metadata(root) {
        Ok(meta) if meta.is_file() => {
            if keep(root) {
                walk.files.push(root.to_path_buf());
            }
        }
        Ok(_) => walk_dir(root, keep, &mut walk),
        Err(error) => walk.problems.push(WalkProblem {
            path: root.to_path_buf(),
            error,
        }),
    }
    walk
}

fn walk_dir(dir: &Path, keep: &dyn Fn(&Path) -> bool, walk: &mut Walk) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) => {
            walk.problems.push(WalkProblem {
                path: dir.to_path_buf(),
                error,
            });
            return;
        }
    };
    let mut listed = Vec::new();
    for entry in entries {
        match entry {
            Ok(entry) => listed.push(entry),
            Err(error) => walk.problems.push(WalkProblem {
                path: dir.to_path_buf(),
                error,
            }),
        }
    }
    listed.sort_by_key(std::fs::DirEntry::file_name);
    for entry in listed {
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let path = entry.path();
        let file_type = match entry.file_type() {
            Ok(t) => t,
            Err(error) => {
                walk.problems.push(WalkProblem { path, error });
                continue;
            }
        };
        if file_type.is_dir() {
            walk_dir(&path, keep, walk);
        } else if keep(&path) {
            // A symbolic link counts when it leads to a file.
            match std::fs::metadata(&path) {
                Ok(meta) if meta.is_file() => walk.files.push(path),
                Ok(_) => {}
                Err(error) => walk.problems.push(WalkProblem { path, error }),
            }
        }
    }
}

/// Whether `path`'s file name ends with `suffix`, ignoring ASCII case (`.json`, `.tests.yaml`).
pub fn has_suffix(path: &Path, suffix: &str) -> bool {
    path.file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .is_some_and(|n| n.ends_with(&suffix.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn sorted_depth_first_hidden_skipped_problems_reported() {
        let dir = std::env::temp_dir().join(format!("ward-walk-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for d in ["b", "a/z", ".git", "c"] {
            std::fs::create_dir_all(dir.join(d)).unwrap();
        }
        for f in [
            "b/2.json",
            "a/z/1.json",
            "a/0.JSON",
            ".git/x.json",
            "c/skip.txt",
            "3.json",
        ] {
            std::fs::write(dir.join(f), "{}").unwrap();
        }
        let walk = walk_files(&dir, &|p| has_suffix(p, ".json"));
        let rel: Vec<String> = walk
            .files
            .iter()
            .map(|p| p.strip_prefix(&dir).unwrap().display().to_string())
            .collect();
        assert_eq!(rel, ["3.json", "a/0.JSON", "a/z/1.json", "b/2.json"]);
        assert!(walk.problems.is_empty());

        let missing = walk_files(&dir.join("nope"), &|_| true);
        assert!(missing.files.is_empty());
        assert_eq!(missing.problems.len(), 1);
        assert!(
            missing.problems[0].to_string().contains("nope"),
            "{}",
            missing.problems[0]
        );

        // A file named directly is kept when it is of the kind asked for.
        let one = walk_files(&dir.join("c/skip.txt"), &|p| has_suffix(p, ".json"));
        assert!(one.files.is_empty() && one.problems.is_empty());
        let one = walk_files(&dir.join("3.json"), &|p| has_suffix(p, ".json"));
        assert_eq!(one.files, [dir.join("3.json")]);

        // An entry that cannot be read (a link to nothing) is a problem, not a silence.
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(dir.join("gone.json"), dir.join("b/dangling.json")).unwrap();
            let walk = walk_files(&dir, &|p| has_suffix(p, ".json"));
            assert_eq!(walk.problems.len(), 1, "{:?}", walk.problems);
            assert!(walk.problems[0].path.ends_with("b/dangling.json"));
            assert_eq!(walk.files.len(), 4);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
