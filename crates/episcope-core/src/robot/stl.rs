//! STL meshes (binary and ASCII) from bytes, for drawing a URDF's mesh visuals, and finding a URDF's mesh file
//! among the files a user picked.
//!
//! Binary: an 80-byte header, a little-endian `u32` triangle count, then 50 bytes per triangle (normal, three
//! vertices as `f32` x, y, z, and a 2-byte attribute). The count must fit the bytes present (bytes after the
//! declared triangles are ignored) and [`MAX_TRIANGLES`]. ASCII: `solid … facet normal nx ny nz outer loop vertex
//! x y z ×3 endloop endfacet … endsolid`, several solids allowed. A file is binary when its length is exactly
//! what its count declares (binary files may start with `solid` too), ASCII when it starts with `solid`, binary
//! otherwise. Every coordinate must be finite.

use serde::{Deserialize, Serialize};

use super::urdf::quoted;

/// Triangles a mesh may have (2 M triangles is 100 MB of binary STL; robot meshes are usually far below 100 k).
pub const MAX_TRIANGLES: usize = 2_000_000;
const BINARY_HEADER_BYTES: usize = 84;
const BINARY_TRIANGLE_BYTES: usize = 50;

/// A triangle mesh: three positions per triangle (metres as the file has them, before the URDF's scale) and the
/// file's normal of each triangle.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StlMesh {
    pub positions: Vec<[f32; 3]>,
    pub normals: Vec<[f32; 3]>,
}

impl StlMesh {
    pub fn triangle_count(&self) -> usize {
        self.normals.len()
    }
}

/// Why an STL file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StlError {
    #[error("the file is {size_bytes} bytes, too short for a binary STL header (84 bytes), and not ASCII STL: {path}")]
    TooShort { size_bytes: usize, path: String },
    #[error(
        "binary STL declares {declared_triangles} triangles ({expected_bytes} bytes), but the file has only \
         {size_bytes} bytes: {path}"
    )]
    Truncated { declared_triangles: u64, expected_bytes: u64, size_bytes: usize, path: String },
    #[error("the mesh has more than {limit} triangles (the limit): {path}")]
    TooManyTriangles { limit: usize, path: String },
    #[error("binary STL triangle {triangle} has a non-finite coordinate: {path}")]
    NonFiniteBinary { triangle: usize, path: String },
    #[error("ASCII STL line {line}: expected {expected}, found {found:?}: {path}")]
    Syntax { expected: String, found: String, line: usize, path: String },
    #[error("ASCII STL line {line}: {value:?} is not a finite number: {path}")]
    BadNumber { value: String, line: usize, path: String },
}

/// Reads an STL file (binary or ASCII, see the module documentation) of at most [`MAX_TRIANGLES`] triangles.
/// `path` names the file in errors.
pub fn parse_stl(bytes: &[u8], path: &str) -> Result<StlMesh, StlError> {
    parse_stl_with_limit(bytes, path, MAX_TRIANGLES)
}

/// As [`parse_stl`], with at most `max_triangles` triangles (capped at [`MAX_TRIANGLES`]).
pub fn parse_stl_with_limit(bytes: &[u8], path: &str, max_triangles: usize) -> Result<StlMesh, StlError> {
    let max_triangles = max_triangles.min(MAX_TRIANGLES);
    if let Some(declared) = declared_binary_triangles(bytes) {
        let exact = (declared as u64)
            .checked_mul(BINARY_TRIANGLE_BYTES as u64)
            .and_then(|b| b.checked_add(BINARY_HEADER_BYTES as u64))
            .is_some_and(|expected| expected == bytes.len() as u64);
        if exact {
            return parse_binary(bytes, path, max_triangles);
        }
    }
    let text_start = bytes.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(bytes.len());
    if bytes[text_start..].starts_with(b"solid") {
        return match parse_ascii(bytes, path, max_triangles) {
            // A binary file whose header starts with `solid` (many exporters write one) and whose count does
            // not fit its length: the binary error says what is wrong.
            Err(_) if bytes.len() >= BINARY_HEADER_BYTES && bytes.iter().any(|&b| b == 0 || !b.is_ascii()) => {
                parse_binary(bytes, path, max_triangles)
            }
            result => result,
        };
    }
    parse_binary(bytes, path, max_triangles)
}

fn declared_binary_triangles(bytes: &[u8]) -> Option<u32> {
    let count: [u8; 4] = bytes.get(80..BINARY_HEADER_BYTES)?.try_into().ok()?;
    Some(u32::from_le_bytes(count))
}

fn parse_binary(bytes: &[u8], path: &str, max_triangles: usize) -> Result<StlMesh, StlError> {
    let declared = declared_binary_triangles(bytes)
        .ok_or_else(|| StlError::TooShort { size_bytes: bytes.len(), path: path.to_string() })?;
    let expected_bytes = u64::from(declared) * BINARY_TRIANGLE_BYTES as u64 + BINARY_HEADER_BYTES as u64;
    if expected_bytes > bytes.len() as u64 {
        return Err(StlError::Truncated {
            declared_triangles: u64::from(declared),
            expected_bytes,
            size_bytes: bytes.len(),
            path: path.to_string(),
        });
    }
    let triangles = declared as usize;
    if triangles > max_triangles {
        return Err(StlError::TooManyTriangles { limit: max_triangles, path: path.to_string() });
    }
    let mut mesh = StlMesh { positions: Vec::with_capacity(triangles * 3), normals: Vec::with_capacity(triangles) };
    let body = bytes.get(BINARY_HEADER_BYTES..).unwrap_or(&[]);
    for (triangle, record) in body.chunks_exact(BINARY_TRIANGLE_BYTES).take(triangles).enumerate() {
        let mut vectors = [[0f32; 3]; 4];
        for (v, vector) in vectors.iter_mut().enumerate() {
            for (c, component) in vector.iter_mut().enumerate() {
                let at = (v * 3 + c) * 4;
                let word: [u8; 4] = record.get(at..at + 4).and_then(|w| w.try_into().ok()).unwrap_or([0; 4]);
                *component = f32::from_le_bytes(word);
                if !component.is_finite() {
                    return Err(StlError::NonFiniteBinary { triangle, path: path.to_string() });
                }
            }
        }
        let [normal, a, b, c] = vectors;
        mesh.normals.push(normal);
        mesh.positions.extend([a, b, c]);
    }
    Ok(mesh)
}

/// Whitespace-separated words with the line each is on.
struct Words<'a> {
    bytes: &'a [u8],
    at: usize,
    line: usize,
}

impl<'a> Words<'a> {
    fn next_word(&mut self) -> Option<(&'a [u8], usize)> {
        while let Some(&b) = self.bytes.get(self.at) {
            if !b.is_ascii_whitespace() {
                break;
            }
            if b == b'\n' {
                self.line += 1;
            }
            self.at += 1;
        }
        let start = self.at;
        while self.bytes.get(self.at).is_some_and(|b| !b.is_ascii_whitespace()) {
            self.at += 1;
        }
        (self.at > start).then(|| (&self.bytes[start..self.at], self.line))
    }

    /// Skips the rest of the current line (a solid's name).
    fn skip_line(&mut self) {
        while let Some(&b) = self.bytes.get(self.at) {
            if b == b'\n' {
                break;
            }
            self.at += 1;
        }
    }
}

fn parse_ascii(bytes: &[u8], path: &str, max_triangles: usize) -> Result<StlMesh, StlError> {
    let mut words = Words { bytes, at: 0, line: 1 };
    let mut mesh = StlMesh::default();
    let syntax = |expected: &str, found: Option<(&[u8], usize)>, last_line: usize| StlError::Syntax {
        expected: expected.to_string(),
        found: found.map_or_else(|| "the end of the file".to_string(), |(w, _)| quoted(&String::from_utf8_lossy(w))),
        line: found.map_or(last_line, |(_, line)| line),
        path: path.to_string(),
    };
    let expect = |words: &mut Words, keyword: &str| -> Result<(), StlError> {
        let found = words.next_word();
        match found {
            Some((word, _)) if word == keyword.as_bytes() => Ok(()),
            _ => Err(syntax(&format!("`{keyword}`"), found, words.line)),
        }
    };
    let number = |words: &mut Words| -> Result<f32, StlError> {
        let found = words.next_word();
        let Some((word, line)) = found else { return Err(syntax("a number", None, words.line)) };
        let value = std::str::from_utf8(word).ok().and_then(|text| text.parse::<f32>().ok());
        match value {
            Some(value) if value.is_finite() => Ok(value),
            _ => {
                Err(StlError::BadNumber { value: quoted(&String::from_utf8_lossy(word)), line, path: path.to_string() })
            }
        }
    };

    let mut solids = 0usize;
    loop {
        match words.next_word() {
            None if solids > 0 => break,
            Some((b"solid", _)) => {
                words.skip_line();
                solids += 1;
            }
            found => return Err(syntax("`solid`", found, words.line)),
        }
        loop {
            let found = words.next_word();
            match found {
                Some((b"facet", _)) => {}
                Some((b"endsolid", _)) => {
                    words.skip_line();
                    break;
                }
                _ => return Err(syntax("`facet` or `endsolid`", found, words.line)),
            }
            if mesh.normals.len() >= max_triangles {
                return Err(StlError::TooManyTriangles { limit: max_triangles, path: path.to_string() });
            }
            expect(&mut words, "normal")?;
            let normal = [number(&mut words)?, number(&mut words)?, number(&mut words)?];
            expect(&mut words, "outer")?;
            expect(&mut words, "loop")?;
            for _ in 0..3 {
                expect(&mut words, "vertex")?;
                mesh.positions.push([number(&mut words)?, number(&mut words)?, number(&mut words)?]);
            }
            expect(&mut words, "endloop")?;
            expect(&mut words, "endfacet")?;
            mesh.normals.push(normal);
        }
    }
    Ok(mesh)
}

/// Finds the file a URDF's mesh `filename` refers to among `available_paths` (the relative paths of the files
/// the user picked, `/`-separated), given the URDF's own path among them.
///
/// `package://pkg/meshes/x.stl` and `model://…` lose their scheme (the package's location is unknown);
/// `file:///abs/…` its leading `/`; a plain relative path is first tried relative to the URDF's folder (with
/// `..` resolved), exactly. Otherwise the available path sharing the longest run of trailing path components
/// with the filename wins (at least the file name itself); ties go to the path sharing most leading folders with
/// the URDF, then to the first given. When no file name matches exactly, the same is tried ignoring ASCII case
/// (exporters write `.STL` for `.stl`). Backslashes count as `/`.
pub fn resolve_mesh_path<S: AsRef<str>>(urdf_path: &str, filename: &str, available_paths: &[S]) -> Option<String> {
    let filename = filename.trim().replace('\\', "/");
    let (without_scheme, relative_to_urdf) = if let Some(rest) = filename.strip_prefix("package://") {
        (rest.to_string(), false)
    } else if let Some(rest) = filename.strip_prefix("model://") {
        (rest.to_string(), false)
    } else if let Some(rest) = filename.strip_prefix("file://") {
        (rest.to_string(), false)
    } else {
        let absolute = filename.starts_with('/');
        (filename.clone(), !absolute)
    };
    let urdf_path = urdf_path.replace('\\', "/");
    let urdf_folder: Vec<&str> = {
        let mut parts = components(&urdf_path);
        parts.pop();
        parts
    };
    let target = components(&without_scheme);

    if relative_to_urdf {
        let mut joined: Vec<&str> = urdf_folder.clone();
        for &part in &target {
            if part == ".." {
                joined.pop();
            } else {
                joined.push(part);
            }
        }
        let wanted = joined.join("/");
        if let Some(found) =
            available_paths.iter().find(|p| components(&p.as_ref().replace('\\', "/")).join("/") == wanted)
        {
            return Some(found.as_ref().to_string());
        }
    }

    // Only the components after the last `..` say anything about where the file is.
    let tail_start = target.iter().rposition(|&part| part == "..").map_or(0, |i| i + 1);
    let tail = &target[tail_start..];
    if tail.is_empty() {
        return None;
    }
    for ignore_case in [false, true] {
        let same = |a: &str, b: &str| if ignore_case { a.eq_ignore_ascii_case(b) } else { a == b };
        let mut best: Option<(usize, usize, usize)> = None; // (shared trailing, shared with URDF folder, index)
        for (index, candidate) in available_paths.iter().enumerate() {
            let candidate = candidate.as_ref().replace('\\', "/");
            let parts = components(&candidate);
            let trailing = parts.iter().rev().zip(tail.iter().rev()).take_while(|(a, b)| same(a, b)).count();
            if trailing == 0 {
                continue;
            }
            let shared_with_urdf = parts.iter().zip(&urdf_folder).take_while(|(a, b)| a == b).count();
            let better = match best {
                None => true,
                Some((best_trailing, best_shared, _)) => {
                    trailing > best_trailing || (trailing == best_trailing && shared_with_urdf > best_shared)
                }
            };
            if better {
                best = Some((trailing, shared_with_urdf, index));
            }
        }
        if let Some((_, _, index)) = best {
            return available_paths.get(index).map(|p| p.as_ref().to_string());
        }
    }
    None
}

/// The non-empty components of a `/`-separated path, without `.`.
fn components(path: &str) -> Vec<&str> {
    path.split('/').filter(|part| !part.is_empty() && *part != ".").collect()
}
