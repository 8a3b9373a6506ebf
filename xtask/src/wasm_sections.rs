//! Reading a wasm module's sections directly: its export names, and each
//! defined function's body size with its name (from the name section).
//! Plain byte parsing, no dependency, used by the build and by `--why`.

use std::collections::BTreeMap;

fn leb(bytes: &[u8], position: &mut usize) -> Option<u64> {
    let mut value = 0u64;
    let mut shift = 0;
    loop {
        let byte = *bytes.get(*position)?;
        *position += 1;
        value |= ((byte & 0x7f) as u64) << shift;
        if byte < 0x80 {
            return Some(value);
        }
        shift += 7;
    }
}

/// `(name, body bytes)` for every function defined in the module.
pub fn function_sizes(bytes: &[u8]) -> Option<Vec<(String, u64)>> {
    let mut position = 8; // magic + version
    let mut imported_functions = 0u64;
    let mut bodies = Vec::new();
    let mut names = BTreeMap::new();
    while position < bytes.len() {
        let id = bytes[position];
        position += 1;
        let size = leb(bytes, &mut position)? as usize;
        let start = position;
        match id {
            2 => imported_functions = count_imported_functions(bytes, position)?,
            10 => {
                let mut at = position;
                for _ in 0..leb(bytes, &mut at)? {
                    let body_start = at;
                    let length = leb(bytes, &mut at)? as usize;
                    at += length;
                    bodies.push((at - body_start) as u64);
                }
            }
            0 => {
                let mut at = position;
                let length = leb(bytes, &mut at)? as usize;
                if bytes.get(at..at + length)? == b"name" {
                    at += length;
                    while at < start + size {
                        let kind = bytes[at];
                        at += 1;
                        let sub_size = leb(bytes, &mut at)? as usize;
                        let sub_end = at + sub_size;
                        if kind == 1 {
                            for _ in 0..leb(bytes, &mut at)? {
                                let index = leb(bytes, &mut at)?;
                                let length = leb(bytes, &mut at)? as usize;
                                names.insert(
                                    index,
                                    String::from_utf8_lossy(bytes.get(at..at + length)?)
                                        .into_owned(),
                                );
                                at += length;
                            }
                        }
                        at = sub_end;
                    }
                }
            }
            _ => {}
        }
        position = start + size;
    }
    Some(
        bodies
            .into_iter()
            .enumerate()
            .map(|(index, size)| {
                let name = names
                    .get(&(index as u64 + imported_functions))
                    .cloned()
                    .unwrap_or_else(|| "?".into());
                (name, size)
            })
            .collect(),
    )
}

fn count_imported_functions(bytes: &[u8], mut at: usize) -> Option<u64> {
    let mut functions = 0;
    for _ in 0..leb(bytes, &mut at)? {
        for _ in 0..2 {
            let length = leb(bytes, &mut at)? as usize;
            at += length;
        }
        let kind = *bytes.get(at)?;
        at += 1;
        match kind {
            0 => {
                leb(bytes, &mut at)?;
                functions += 1;
            }
            1 => {
                at += 1; // element type
                let flags = leb(bytes, &mut at)?;
                leb(bytes, &mut at)?;
                if flags & 1 == 1 {
                    leb(bytes, &mut at)?;
                }
            }
            2 => {
                let flags = leb(bytes, &mut at)?;
                leb(bytes, &mut at)?;
                if flags & 1 == 1 {
                    leb(bytes, &mut at)?;
                }
            }
            3 => at += 2, // value type + mutability
            _ => {
                at += 1;
                leb(bytes, &mut at)?;
            }
        }
    }
    Some(functions)
}

/// The names of the module's exports.
pub fn export_names(bytes: &[u8]) -> Option<Vec<String>> {
    let mut position = 8; // magic + version
    while position < bytes.len() {
        let id = bytes[position];
        position += 1;
        let size = leb(bytes, &mut position)? as usize;
        if id == 7 {
            let mut at = position;
            let mut names = Vec::new();
            for _ in 0..leb(bytes, &mut at)? {
                let length = leb(bytes, &mut at)? as usize;
                names.push(String::from_utf8_lossy(bytes.get(at..at + length)?).into_owned());
                at += length + 1; // name, then the export's kind
                leb(bytes, &mut at)?; // and its index
            }
            return Some(names);
        }
        position += size;
    }
    Some(Vec::new())
}
