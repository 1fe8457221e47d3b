//! Files of the store are their owner's alone: the data directory 0700,
//! the store, the signing secret and backups 0600. They hold password and
//! refresh-token hashes and every guest's bookings.

use std::fs::{File, OpenOptions};
use std::path::Path;

use crate::store::StoreError;

/// The marker a restore leaves in a data directory until it has finished;
/// a store beside it is never opened.
pub const RESTORE_MARKER: &str = "RESTORE-IN-PROGRESS";

fn fail(what: &str, path: &Path) -> impl Fn(std::io::Error) -> StoreError {
    let context = format!("{what} {}", path.display());
    move |e| StoreError::Engine(format!("{context}: {e}"))
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> Result<(), StoreError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(fail("set the mode of", path))
}

#[cfg(not(unix))]
fn set_mode(_: &Path, _: u32) -> Result<(), StoreError> {
    Ok(())
}

/// Creates `dir` (and parents) if needed and makes it 0700, also when it
/// existed with a looser mode.
pub fn private_dir(dir: &Path) -> Result<(), StoreError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(fail("create", dir))?;
    set_mode(dir, 0o700)
}

/// Makes an existing file 0600, or a directory tree 0700/0600 (sled's).
pub fn private_tree(path: &Path) -> Result<(), StoreError> {
    if path.is_dir() {
        set_mode(path, 0o700)?;
        for entry in std::fs::read_dir(path).map_err(fail("read", path))? {
            private_tree(&entry.map_err(fail("read", path))?.path())?;
        }
        Ok(())
    } else if path.exists() {
        set_mode(path, 0o600)
    } else {
        Ok(())
    }
}

/// Creates (or truncates) a file readable and writable by its owner only;
/// a file that existed keeps none of its old mode.
pub fn create_private(path: &Path) -> Result<File, StoreError> {
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(path).map_err(fail("create", path))?;
    set_mode(path, 0o600)?;
    Ok(file)
}

/// Fsyncs a directory, so that a rename into it survives a power cut.
pub fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(fail("sync", dir))
}

/// Opens a file for appending, creating it readable and writable by its
/// owner only (a log segment).
pub fn open_private_append(path: &Path) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true).append(true).create(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}
