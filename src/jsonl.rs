//! A bounded file of JSON lines in the state directory: the audit journal and the incident
//! timeline. Each entry is one line, on disk before `append` returns; past its size the file
//! becomes `NAME.1` (the one before it is dropped), so at most two files of that size are kept.
//! A torn last line is mended on open, and lines that cannot be read are skipped and counted.

use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read as _, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

pub struct Lines {
    path: PathBuf,
    file: Mutex<File>,
    rotate_at: u64,
}

/// The rotated file beside `path`: "journal.jsonl.1".
pub fn rotated(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".1");
    PathBuf::from(name)
}

/// Opens `path` for appending, in the state directory's way (0600, the user's, no link
/// followed); if the last write was torn (no final newline), a newline is written first so
/// the next entry starts a line of its own.
fn open_mended(path: &Path) -> io::Result<File> {
    let mut file = crate::state_dir::open_append(path)?;
    let len = file.metadata()?.len();
    if len > 0 {
        let mut last = [0u8; 1];
        file.seek(SeekFrom::Start(len - 1))?;
        file.read_exact(&mut last)?;
        if last[0] != b'\n' {
            file.write_all(b"\n")?;
            file.sync_data()?;
        }
    }
    Ok(file)
}

impl Lines {
    /// Opens (creating if needed) `path` for appending, rotated past `rotate_at` bytes.
    pub fn open(path: &Path, rotate_at: u64) -> io::Result<Lines> {
        Ok(Lines {
            path: path.to_path_buf(),
            file: Mutex::new(open_mended(path)?),
            rotate_at,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn rotate_at(&mut self, bytes: u64) {
        self.rotate_at = bytes;
    }

    /// Appends one entry and waits until it is on disk; rotates first when the file has
    /// reached its size.
    pub fn append<T: Serialize>(&self, entry: &T) -> io::Result<()> {
        let mut line = serde_json::to_string(entry).map_err(io::Error::other)?;
        line.push('\n');
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        if file.metadata()?.len() >= self.rotate_at {
            std::fs::rename(&self.path, rotated(&self.path))?;
            *file = open_mended(&self.path)?;
        }
        file.write_all(line.as_bytes())?;
        file.flush()?;
        file.sync_data()
    }
}

/// What was read: the entries kept, oldest first, and how many lines could not be read (a torn
/// write, a damaged byte): skipped and counted, never fatal.
#[derive(Debug, Clone, PartialEq)]
pub struct Read<T> {
    pub entries: Vec<T>,
    pub skipped: usize,
}

impl<T> Default for Read<T> {
    fn default() -> Self {
        Read {
            entries: Vec::new(),
            skipped: 0,
        }
    }
}

/// The entries `keep` accepts, oldest first, from the rotated file and the current one.
pub fn read<T: DeserializeOwned>(path: &Path, keep: impl Fn(&T) -> bool) -> io::Result<Read<T>> {
    let mut read = Read::default();
    for file in [rotated(path), path.to_path_buf()] {
        read_file(&file, &keep, &mut read)?;
    }
    Ok(read)
}

fn read_file<T: DeserializeOwned>(
    path: &Path,
    keep: &impl Fn(&T) -> bool,
    read: &mut Read<T>,
) -> io::Result<()> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    let mut reader = BufReader::new(file);
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            return Ok(());
        }
        let text = line.strip_suffix(b"\n").unwrap_or(&line);
        if text.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match std::str::from_utf8(text)
            .ok()
            .and_then(|t| serde_json::from_str::<T>(t).ok())
        {
            Some(entry) if keep(&entry) => read.entries.push(entry),
            Some(_) => {}
            None => read.skipped += 1,
        }
    }
}
