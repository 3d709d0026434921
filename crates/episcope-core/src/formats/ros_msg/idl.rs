//! Parses `ros2idl` definitions (the OMG IDL subset rosidl generates, as rosbag2 and MCAP files
//! embed it: the root type's IDL, then `IDL: pkg/msg/Type` sections separated by `===` lines) into
//! the same [`MessageSchema`] the `.msg` parser builds. Modules, structs, typedef'd arrays,
//! sequences (bounded or not), bounded strings and constants are understood; annotations,
//! comments and `#include` lines are skipped. Bounded like the `.msg` parser.

use std::collections::BTreeMap;

use super::schema::{
    normalise_type_name, Arity, Field, FieldType, MessageSchema, Primitive, SchemaError, MAX_DEFINITION_BYTES,
    MAX_FIELDS_PER_TYPE, MAX_TYPES,
};

/// Tokens one definition may have (far above any real one; a hostile text stops here).
const MAX_TOKENS: usize = 1 << 20;

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Ident(String),
    Number(String),
    Str,
    Punct(char),
}

fn bad(type_name: &str, reason: impl Into<String>) -> SchemaError {
    SchemaError::BadLine { type_name: type_name.to_string(), line: 0, reason: reason.into() }
}

/// Splits IDL text into tokens: identifiers (with `::` kept inside scoped names), numbers, string
/// literals (content dropped), punctuation. Comments and preprocessor lines are skipped.
fn tokenize(text: &str, root: &str) -> Result<Vec<Token>, SchemaError> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    let mut line_start = true;
    while i < bytes.len() {
        if tokens.len() > MAX_TOKENS {
            return Err(SchemaError::TooManyItems { max: MAX_TOKENS });
        }
        let c = bytes[i];
        if c == b'\n' {
            line_start = true;
            i += 1;
            continue;
        }
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if line_start && c == b'#' {
            while i < bytes.len() && bytes[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        line_start = false;
        if bytes[i..].starts_with(b"//") {
            while i < bytes.len() && bytes[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        if bytes[i..].starts_with(b"/*") {
            let end = text[i + 2..].find("*/").ok_or_else(|| bad(root, "unclosed /* comment"))?;
            i += 2 + end + 2;
            continue;
        }
        if c == b'"' {
            i += 1;
            loop {
                match bytes.get(i) {
                    None => return Err(bad(root, "unclosed string literal")),
                    Some(b'\\') => i += 2,
                    Some(b'"') => {
                        i += 1;
                        break;
                    }
                    Some(_) => i += 1,
                }
            }
            tokens.push(Token::Str);
            continue;
        }
        if c.is_ascii_alphabetic() || c == b'_' {
            let start = i;
            while i < bytes.len()
                && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i..].starts_with(b"::"))
            {
                i += if bytes[i] == b':' { 2 } else { 1 };
            }
            tokens.push(Token::Ident(text[start..i].to_string()));
            continue;
        }
        if c.is_ascii_digit() || (c == b'-' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)) {
            let start = i;
            i += 1;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'.' || bytes[i] == b'_') {
                i += 1;
            }
            tokens.push(Token::Number(text[start..i].to_string()));
            continue;
        }
        if c.is_ascii() {
            tokens.push(Token::Punct(c as char));
            i += 1;
            continue;
        }
        return Err(bad(root, format!("unexpected character at byte {i}")));
    }
    Ok(tokens)
}

/// An IDL type as a field sees it, before arrays of the declarator.
#[derive(Debug, Clone, PartialEq)]
struct IdlType {
    field_type: FieldType,
    arity: Arity,
}

struct Parser<'t> {
    tokens: &'t [Token],
    at: usize,
    root: String,
    modules: Vec<String>,
    typedefs: BTreeMap<String, IdlType>,
    types: BTreeMap<String, Vec<Field>>,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        token
    }

    fn error(&self, reason: impl Into<String>) -> SchemaError {
        bad(&self.root, format!("{} (token {})", reason.into(), self.at))
    }

    fn expect(&mut self, punct: char) -> Result<(), SchemaError> {
        match self.next() {
            Some(Token::Punct(p)) if p == punct => Ok(()),
            other => Err(self.error(format!("expected {punct:?}, found {other:?}"))),
        }
    }

    fn ident(&mut self) -> Result<String, SchemaError> {
        match self.next() {
            Some(Token::Ident(name)) => Ok(name),
            other => Err(self.error(format!("expected a name, found {other:?}"))),
        }
    }

    fn number(&mut self) -> Result<usize, SchemaError> {
        match self.next() {
            Some(Token::Number(n)) => n.parse().map_err(|_| self.error(format!("bad size {n:?}"))),
            other => Err(self.error(format!("expected a size, found {other:?}"))),
        }
    }

    /// `@name` or `@name(...)`, with nested parentheses.
    fn skip_annotation(&mut self) -> Result<(), SchemaError> {
        self.ident()?;
        if self.peek() == Some(&Token::Punct('(')) {
            let mut depth = 0usize;
            loop {
                match self.next() {
                    Some(Token::Punct('(')) => depth += 1,
                    Some(Token::Punct(')')) => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    None => return Err(self.error("unclosed annotation")),
                    _ => {}
                }
            }
        }
        Ok(())
    }

    fn skip_annotations(&mut self) -> Result<(), SchemaError> {
        while self.peek() == Some(&Token::Punct('@')) {
            self.at += 1;
            self.skip_annotation()?;
        }
        Ok(())
    }

    /// Skips to the `;` ending the current declaration (constants).
    fn skip_declaration(&mut self) -> Result<(), SchemaError> {
        loop {
            match self.next() {
                Some(Token::Punct(';')) => return Ok(()),
                None => return Err(self.error("declaration without ';'")),
                _ => {}
            }
        }
    }

    /// Definitions until `}` (inside a module) or the end.
    fn definitions(&mut self, inside_module: bool) -> Result<(), SchemaError> {
        loop {
            self.skip_annotations()?;
            match self.next() {
                None if !inside_module => return Ok(()),
                None => return Err(self.error("module without '}'")),
                Some(Token::Punct('}')) if inside_module => {
                    if self.peek() == Some(&Token::Punct(';')) {
                        self.at += 1;
                    }
                    return Ok(());
                }
                Some(Token::Punct(';')) => {}
                Some(Token::Ident(word)) => match word.as_str() {
                    "module" => {
                        if self.modules.len() >= 16 {
                            return Err(self.error("modules nested too deep"));
                        }
                        let name = self.ident()?;
                        self.expect('{')?;
                        self.modules.push(name);
                        self.definitions(true)?;
                        self.modules.pop();
                    }
                    "struct" => self.structure()?,
                    "typedef" => {
                        let base = self.type_spec()?;
                        let name = self.ident()?;
                        let idl = self.declarator_arrays(base)?;
                        self.expect(';')?;
                        let full = self.scoped(&name);
                        self.typedefs.insert(full, idl.clone());
                        self.typedefs.insert(name, idl);
                    }
                    "const" => self.skip_declaration()?,
                    other => return Err(self.error(format!("{other:?} definitions are not supported"))),
                },
                Some(other) => return Err(self.error(format!("unexpected {other:?}"))),
            }
        }
    }

    /// `pkg::msg::Type` for a name declared in the current modules.
    fn scoped(&self, name: &str) -> String {
        let mut parts = self.modules.clone();
        parts.push(name.to_string());
        parts.join("::")
    }

    fn structure(&mut self) -> Result<(), SchemaError> {
        let name = self.ident()?;
        self.expect('{')?;
        let full = normalise_type_name(&self.scoped(&name).replace("::", "/"));
        let mut fields = Vec::new();
        loop {
            self.skip_annotations()?;
            if self.peek() == Some(&Token::Punct('}')) {
                self.at += 1;
                break;
            }
            let base = self.type_spec()?;
            loop {
                let field_name = self.ident()?;
                let idl = self.declarator_arrays(base.clone())?;
                fields.push(Field { name: field_name, field_type: idl.field_type, arity: idl.arity });
                if fields.len() > MAX_FIELDS_PER_TYPE {
                    return Err(SchemaError::TooManyItems { max: MAX_FIELDS_PER_TYPE });
                }
                match self.next() {
                    Some(Token::Punct(',')) => continue,
                    Some(Token::Punct(';')) => break,
                    other => return Err(self.error(format!("expected ';' after a member, found {other:?}"))),
                }
            }
        }
        if self.peek() == Some(&Token::Punct(';')) {
            self.at += 1;
        }
        if self.types.len() >= MAX_TYPES {
            return Err(SchemaError::TooManyItems { max: MAX_TYPES });
        }
        self.types.entry(full).or_insert(fields);
        Ok(())
    }

    /// `name[3][4]` after a member's or typedef's name: fixed arrays (one level is kept).
    fn declarator_arrays(&mut self, base: IdlType) -> Result<IdlType, SchemaError> {
        let mut idl = base;
        while self.peek() == Some(&Token::Punct('[')) {
            self.at += 1;
            let size = self.number()?;
            self.expect(']')?;
            if idl.arity != Arity::One {
                return Err(self.error("arrays of arrays are not supported"));
            }
            idl.arity = Arity::Fixed(size);
        }
        Ok(idl)
    }

    /// A type: a primitive (one or more words), `string<N>`, `sequence<T, N>`, a typedef or a
    /// scoped struct name.
    fn type_spec(&mut self) -> Result<IdlType, SchemaError> {
        let one = |p: Primitive| IdlType { field_type: FieldType::Primitive(p), arity: Arity::One };
        let first = self.ident()?;
        let primitive = match first.as_str() {
            "boolean" => Some(Primitive::Bool),
            "octet" | "uint8" | "char" => Some(Primitive::UInt8),
            "int8" => Some(Primitive::Int8),
            "int16" | "short" => Some(Primitive::Int16),
            "uint16" | "wchar" => Some(Primitive::UInt16),
            "int32" => Some(Primitive::Int32),
            "uint32" => Some(Primitive::UInt32),
            "int64" => Some(Primitive::Int64),
            "uint64" => Some(Primitive::UInt64),
            "float" => Some(Primitive::Float32),
            "double" => Some(Primitive::Float64),
            "long" => Some(if self.eat_word("long") { Primitive::Int64 } else { Primitive::Int32 }),
            "unsigned" => {
                let word = self.ident()?;
                Some(match word.as_str() {
                    "short" => Primitive::UInt16,
                    "long" if self.eat_word("long") => Primitive::UInt64,
                    "long" => Primitive::UInt32,
                    other => return Err(self.error(format!("unsigned {other} is not a type"))),
                })
            }
            "string" | "wstring" => {
                if self.peek() == Some(&Token::Punct('<')) {
                    self.at += 1;
                    self.number()?;
                    self.expect('>')?;
                }
                Some(Primitive::String)
            }
            _ => None,
        };
        if let Some(p) = primitive {
            return Ok(one(p));
        }
        if first == "sequence" {
            self.expect('<')?;
            // Checked before recursing: a hostile `sequence<sequence<…` cannot nest deeply.
            if matches!(self.peek(), Some(Token::Ident(w)) if w == "sequence") {
                return Err(self.error("sequences of sequences are not supported"));
            }
            let element = self.type_spec()?;
            if element.arity != Arity::One {
                return Err(self.error("sequences of arrays are not supported"));
            }
            let bound = if self.peek() == Some(&Token::Punct(',')) {
                self.at += 1;
                Some(self.number()?)
            } else {
                None
            };
            self.expect('>')?;
            return Ok(IdlType { field_type: element.field_type, arity: Arity::Sequence(bound) });
        }
        if let Some(alias) = self.typedefs.get(&first).or_else(|| self.typedefs.get(&self.scoped(&first))) {
            return Ok(alias.clone());
        }
        // A struct: `pkg::msg::Type`, or a name in the current module.
        let scoped = if first.contains("::") { first } else { self.scoped(&first) };
        Ok(IdlType {
            field_type: FieldType::Message(normalise_type_name(&scoped.replace("::", "/"))),
            arity: Arity::One,
        })
    }

    fn eat_word(&mut self, word: &str) -> bool {
        if matches!(self.peek(), Some(Token::Ident(w)) if w == word) {
            self.at += 1;
            true
        } else {
            false
        }
    }
}

/// Parses a `ros2idl` definition of `root_type`.
pub fn parse_idl_schema(root_type: &str, text: &str) -> Result<MessageSchema, SchemaError> {
    if text.len() > MAX_DEFINITION_BYTES {
        return Err(SchemaError::TooLarge { bytes: text.len(), max: MAX_DEFINITION_BYTES });
    }
    let root = normalise_type_name(root_type);
    // Sections are plain IDL each; their `IDL: name` headers only name them.
    let mut body = String::with_capacity(text.len());
    for line in text.lines() {
        let trimmed = line.trim();
        let separator = trimmed.len() >= 3 && trimmed.chars().all(|c| c == '=');
        if separator || trimmed.starts_with("IDL:") {
            body.push('\n');
            continue;
        }
        body.push_str(line);
        body.push('\n');
    }
    let tokens = tokenize(&body, &root)?;
    let mut parser = Parser {
        tokens: &tokens,
        at: 0,
        root: root.clone(),
        modules: Vec::new(),
        typedefs: BTreeMap::new(),
        types: BTreeMap::new(),
    };
    parser.definitions(false)?;
    let schema = MessageSchema { root, types: parser.types, ros1: false };
    schema.validate()?;
    Ok(schema)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TIME: &str = "module builtin_interfaces {\n  module msg {\n    @verbatim (language=\"comment\", text=\n      \"The seconds (a \\\"quoted\\\" word; not a field).\" \"\\n\")\n    struct Time {\n      int32 sec;\n      uint32 nanosec;\n    };\n  };\n};\n";

    #[test]
    fn rosidl_style_idl_parses_into_the_msg_model() {
        let text = format!(
            "#include \"builtin_interfaces/msg/Time.idl\"\n// comment\nmodule demo_msgs {{ module msg {{\n  module Thing_Constants {{ const uint8 A = 1; const string S = \"x;y\"; }};\n  typedef double double__9[9];\n  struct Thing {{\n    @default (value=0) uint8 mode;\n    double__9 m;\n    int16 o[3], p;\n    sequence<float, 4> g;\n    sequence<builtin_interfaces::msg::Time> stamps;\n    string<8> label;\n    unsigned long long big;\n    long long small;\n    boolean ok;\n  }};\n}}; }};\n{}\nIDL: builtin_interfaces/msg/Time\n{TIME}",
            "=".repeat(80)
        );
        let schema = parse_idl_schema("demo_msgs/msg/Thing", &text).unwrap();
        assert_eq!(schema.root, "demo_msgs/Thing");
        let fields: Vec<(&str, &FieldType, Arity)> =
            schema.fields("demo_msgs/Thing").iter().map(|f| (f.name.as_str(), &f.field_type, f.arity)).collect();
        let p = |p| FieldType::Primitive(p);
        assert_eq!(
            fields,
            vec![
                ("mode", &p(Primitive::UInt8), Arity::One),
                ("m", &p(Primitive::Float64), Arity::Fixed(9)),
                ("o", &p(Primitive::Int16), Arity::Fixed(3)),
                ("p", &p(Primitive::Int16), Arity::One),
                ("g", &p(Primitive::Float32), Arity::Sequence(Some(4))),
                ("stamps", &FieldType::Message("builtin_interfaces/Time".into()), Arity::Sequence(None)),
                ("label", &p(Primitive::String), Arity::One),
                ("big", &p(Primitive::UInt64), Arity::One),
                ("small", &p(Primitive::Int64), Arity::One),
                ("ok", &p(Primitive::Bool), Arity::One),
            ]
        );
        assert_eq!(schema.fields("builtin_interfaces/Time").len(), 2);
    }

    #[test]
    fn hostile_idl_is_an_error_not_a_hang() {
        let cases = [
            ("module a { module msg { struct T { int32 x; }; };", "module without"),
            ("module a { module msg { struct T { b::msg::U u; }; }; };", "refers to"),
            ("module a { module msg { struct T { a::msg::T t; }; }; };", "recursive"),
            ("module a { module msg { enum E { X }; }; };", "not supported"),
            ("/* never closed", "unclosed"),
            ("module a { module msg { struct T { string s = \"x; }; }; };", "unclosed"),
            ("module a { module msg { struct T { double d[2][3]; }; }; };", "arrays of arrays"),
        ];
        for (text, want) in cases {
            let err = parse_idl_schema("a/msg/T", text).unwrap_err().to_string();
            assert!(err.contains(want), "{text}: {err}");
        }
        let deep = "module m { ".repeat(40);
        assert!(parse_idl_schema("a/msg/T", &deep).unwrap_err().to_string().contains("too deep"));
        let nested = format!("module a {{ module msg {{ struct T {{ {} double", "sequence<".repeat(100_000));
        let err = parse_idl_schema("a/msg/T", &nested).unwrap_err().to_string();
        assert!(err.contains("sequences of sequences"), "{err}");
    }
}
