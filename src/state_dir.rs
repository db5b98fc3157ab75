//! The state directory is a trust boundary: its files say who changed what, and which changes
//! are still to come (a block's expiry, a Count's restore), which a console carries out with
//! the operator's credentials. So the directory is the user's alone (0700), each file too
//! (0600), a file owned by someone else or reached through a symbolic link is refused, never
//! followed, and files are replaced whole (a unique temporary file, renamed, the directory
//! synced) under a lock that holds across processes.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

const DIR_MODE: u32 = 0o700;
const FILE_MODE: u32 = 0o600;

fn refused(path: &Path, why: impl std::fmt::Display) -> io::Error {
    io::Error::new(
        io::ErrorKind::PermissionDenied,
        format!("{} refused: {why}", path.display()),
    )
}

fn me() -> u32 {
    rustix::process::geteuid().as_raw()
}

/// Whose it is, and that it is no symbolic link; group and other access is taken away.
fn check_owned(path: &Path, meta: &std::fs::Metadata, is_dir: bool) -> io::Result<()> {
    if meta.file_type().is_symlink() {
        return Err(refused(
            path,
            "it is a symbolic link, which is never followed",
        ));
    }
    if meta.uid() != me() {
        return Err(refused(
            path,
            format!(
                "it belongs to user id {}, not to you (user id {}): the state directory must be yours alone",
                meta.uid(),
                me()
            ),
        ));
    }
    let (kind_ok, mode) = if is_dir {
        (meta.is_dir(), DIR_MODE)
    } else {
        (meta.is_file(), FILE_MODE)
    };
    if !kind_ok {
        return Err(refused(
            path,
            if is_dir {
                "it is not a directory"
            } else {
                "it is not a regular file"
            },
        ));
    }
    if meta.mode() & 0o077 != 0 {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
    }
    Ok(())
}

/// Makes `dir` (0700) if it is missing, else checks it is the user's own directory and takes
/// group and other access away.
pub fn prepare(dir: &Path) -> io::Result<()> {
    match std::fs::symlink_metadata(dir) {
        Ok(meta) => check_owned(dir, &meta, true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => std::fs::DirBuilder::new()
            .recursive(true)
            .mode(DIR_MODE)
            .create(dir),
        Err(e) => Err(e),
    }
}

fn parent(path: &Path) -> io::Result<&Path> {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .ok_or_else(|| refused(path, "it has no directory"))
}

/// Opens an existing state file without following a link, and checks it once open (the
/// checks are on what was opened, so a swap between check and open changes nothing).
fn open_checked(path: &Path, options: &mut OpenOptions) -> io::Result<File> {
    let file = options
        .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
        .mode(FILE_MODE)
        .open(path)
        .map_err(|e| {
            // ELOOP: the last component is a symbolic link.
            if e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error()) {
                refused(path, "it is a symbolic link, which is never followed")
            } else {
                e
            }
        })?;
    let meta = file.metadata()?;
    if meta.uid() != me() || !meta.is_file() {
        return Err(refused(
            path,
            if meta.is_file() {
                format!("it belongs to user id {}, not to you", meta.uid())
            } else {
                "it is not a regular file".to_string()
            },
        ));
    }
    if meta.mode() & 0o077 != 0 {
        file.set_permissions(std::fs::Permissions::from_mode(FILE_MODE))?;
    }
    Ok(file)
}

/// The file's text; `None` when there is no file.
pub fn read(path: &Path) -> io::Result<Option<String>> {
    let mut file = match open_checked(path, OpenOptions::new().read(true)) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut text = String::new();
    file.read_to_string(&mut text)?;
    Ok(Some(text))
}

/// Opens `path` for appending (the journal), creating it 0600 in a prepared directory.
pub fn open_append(path: &Path) -> io::Result<File> {
    prepare(parent(path)?)?;
    open_checked(
        path,
        OpenOptions::new().read(true).append(true).create(true),
    )
}

/// Replaces `path` whole: written to a uniquely named temporary file (0600) beside it, synced,
/// renamed over it, and the directory synced, so a crash leaves the old file or the new one.
pub fn write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = parent(path)?;
    prepare(dir)?;
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        // A link in the file's place is refused rather than silently replaced.
        check_owned(path, &meta, false)?;
    }
    let mut tmp = tempfile::Builder::new()
        .prefix(".")
        .suffix(".tmp")
        .permissions(std::fs::Permissions::from_mode(FILE_MODE))
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    File::open(dir)?.sync_all()
}

/// Held while a state file is loaded, changed and saved: other consoles wait for it.
pub struct Lock {
    _file: File,
}

/// Takes the cross-process lock of `path` (a `.lock` file beside it), waiting for another
/// console that holds it.
pub fn lock(path: &Path) -> io::Result<Lock> {
    let dir = parent(path)?;
    prepare(dir)?;
    let name = path
        .file_name()
        .map(|n| format!(".{}.lock", n.to_string_lossy()))
        .ok_or_else(|| refused(path, "it has no file name"))?;
    let lock_path: PathBuf = dir.join(name);
    let file = open_checked(
        &lock_path,
        OpenOptions::new().read(true).write(true).create(true),
    )?;
    file.lock()?;
    Ok(Lock { _file: file })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().mode() & 0o777
    }

    #[test]
    fn the_directory_and_its_files_are_the_users_alone() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("state");
        let file = dir.join("pending.json");
        write(&file, b"[]").unwrap();
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&file), 0o600);
        // An existing, too open directory and file are closed.
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(read(&file).unwrap().as_deref(), Some("[]"));
        prepare(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&file), 0o600);
        // No temporary file is left behind.
        let names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("pending.json")]);
    }

    #[test]
    fn a_symbolic_link_is_never_followed() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("state");
        prepare(&dir).unwrap();
        let elsewhere = root.path().join("elsewhere.json");
        std::fs::write(&elsewhere, "[{\"planted\":true}]").unwrap();
        let file = dir.join("pending.json");
        std::os::unix::fs::symlink(&elsewhere, &file).unwrap();
        let e = read(&file).unwrap_err();
        assert!(e.to_string().contains("symbolic link"), "{e}");
        let e = write(&file, b"[]").unwrap_err();
        assert!(e.to_string().contains("symbolic link"), "{e}");
        assert_eq!(
            std::fs::read_to_string(&elsewhere).unwrap(),
            "[{\"planted\":true}]"
        );
        // A linked directory is refused too.
        let linked = root.path().join("linked-state");
        std::os::unix::fs::symlink(&dir, &linked).unwrap();
        assert!(prepare(&linked).is_err());
    }
}
